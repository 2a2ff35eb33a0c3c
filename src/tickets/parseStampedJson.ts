import type { AdapterDeps } from './port.js';
import { requireFresh } from './signature.js';
import { parseJsonObject, type Json } from './parseJsonObject.js';
import { unixTime } from './jsonFields.js';

/**
 * The JSON object our own senders post (the generic format, the RT Scrip, the MantisBT plugin):
 * its `sent_at` (Unix seconds), when present, must be within webhooks.maxSkew of now.
 */
export function parseStampedJson(rawBody: Buffer, deps: Pick<AdapterDeps, 'clock' | 'maxSkewSeconds'>): Json {
  const body = parseJsonObject(rawBody);
  if (body['sent_at'] !== undefined) requireFresh(unixTime(body['sent_at'], 'sent_at'), deps, 'sent_at');
  return body;
}
