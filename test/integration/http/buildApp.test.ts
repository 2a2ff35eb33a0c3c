import { describe, expect, it } from 'vitest';
import { harnessPerFile } from '../../support/harnessPerFile.js';

/** What buildApp registers beside the routes, through app.inject against the real Redis. */
describe('app', () => {
  const h = harnessPerFile();

  it('serves the OpenAPI document without a token', async () => {
    const doc = await h.app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    expect(Object.keys(doc.json().paths)).toEqual(expect.arrayContaining(['/v1/environments', '/v1/environments/{id}/exec']));
  });
});
