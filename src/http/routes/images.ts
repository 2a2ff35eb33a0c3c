import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import type { CatalogImage } from '../../images/catalog.js';
import { IdParams, errorResponses } from '../schemas.js';
import { NotFoundError } from '../../errors.js';

const ImageSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  distribution: Type.String(),
  version: Type.String(),
  family: Type.String(),
  kinds: Type.Array(Type.String()),
});

const view = (i: CatalogImage) => ({
  name: i.name, description: i.description, distribution: i.distribution, version: i.version, family: i.family,
  kinds: [...(i.container ? ['container'] : []), ...(i.vm ? ['vm'] : [])],
});

export const imageRoutes = (deps: Deps): FastifyPluginAsyncTypebox => async (app) => {
  app.get('/v1/images', {
    schema: { tags: ['images'], summary: 'The image catalog', response: { 200: Type.Object({ items: Type.Array(ImageSchema) }), ...errorResponses } },
  }, async () => ({ items: deps.catalog.list().map(view) }));

  app.get('/v1/images/:id', {
    schema: { tags: ['images'], summary: 'One catalog image', params: IdParams, response: { 200: ImageSchema, ...errorResponses } },
  }, async (request) => {
    const image = deps.catalog.get(request.params.id);
    if (!image) throw new NotFoundError('image', request.params.id);
    return view(image);
  });
};
