import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { stringify as toYaml } from 'yaml';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { BuildRecordSchema, type BuildRecord } from '../../images/buildRecord.js';
import { kindsOf, packageManagerOf, type CatalogImage } from '../../images/catalog.js';
import { definitionOf } from '../../images/definitionOf.js';
import { diffDefinitions } from '../../images/diffDefinitions.js';
import { checkImageFiles } from '../../images/loadCatalog.js';
import { validateImageDocument } from '../../images/parseImage.js';
import { principalOf } from '../plugins/auth.js';
import { ImageSummary, errorResponses } from '../schemas.js';
import { streamBuildLog } from './streamBuildLog.js';

const NameParams = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,62}$' }) });
const BuildParams = Type.Object({ name: NameParams.properties.name, id: Type.String({ pattern: '^build-[0-9a-f]{1,32}$' }) });

const Broken = Type.Object({ file: Type.String(), field: Type.Optional(Type.String()), message: Type.String() });
const Change = Type.Object({ path: Type.String(), from: Type.Optional(Type.Unknown()), to: Type.Optional(Type.Unknown()) });
const HistoryEntry = Type.Object({ revision: Type.Integer(), at: Type.String(), by: Type.String(), diff: Type.Array(Change) });

const ImageDetail = Type.Composite([
  ImageSummary,
  Type.Object({
    definition: Type.Record(Type.String(), Type.Unknown()),
    builds: Type.Array(BuildRecordSchema),
    history: Type.Array(HistoryEntry),
  }),
]);

export const imageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { deps } = app;
  const { catalog, builds, definitions } = deps;

  async function summary(image: CatalogImage) {
    const [current, last] = await Promise.all([builds.current(image.name), builds.list(image.name, 1).then((l) => l[0])]);
    const source = catalog.sourceOf(image.name) ?? { source: 'file', revision: 1 };
    return {
      name: image.name, description: image.description, distribution: image.distribution, version: image.version, family: image.family,
      packageManager: packageManagerOf(image), kinds: kindsOf(image), packages: image.packages ?? [],
      revision: source.revision, source: source.source, state: stateOf(current !== undefined, last),
      ...(current ? { current } : {}), ...(last ? { lastBuild: last } : {}),
    };
  }

  async function require(name: string): Promise<CatalogImage> {
    await catalog.refresh();
    const image = catalog.get(name);
    if (!image) throw new NotFoundError('image', name);
    return image;
  }

  app.get('/v1/images', {
    schema: {
      tags: ['images'],
      summary: 'The image catalog with each image\'s serving build and state, and the definitions that did not load',
      response: { 200: Type.Object({ items: Type.Array(ImageSummary), broken: Type.Array(Broken) }), ...errorResponses },
    },
  }, async () => {
    await catalog.refresh();
    return { items: await Promise.all(catalog.list().map(summary)), broken: catalog.broken() };
  });

  app.get('/v1/images/:name', {
    schema: {
      tags: ['images'],
      summary: 'One image: definition, builds and change history; ?format=yaml exports the definition as image.yaml',
      params: NameParams,
      querystring: Type.Object({ format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('yaml')])) }),
      response: { 200: ImageDetail, ...errorResponses },
    },
  }, async (request, reply) => {
    const image = await require(request.params.name);
    if (request.query.format === 'yaml') {
      // A string with a non-JSON type is sent as is; the typed reply only knows the JSON shape.
      return (reply as FastifyReply).type('application/yaml; charset=utf-8').send(toYaml(definitionOf(image)));
    }
    const [base, list, history] = await Promise.all([summary(image), builds.list(image.name), definitions.history(image.name)]);
    return { ...base, definition: definitionOf(image), builds: list, history };
  });

  app.put('/v1/images/:name', {
    config: { auth: 'admin' },
    schema: {
      tags: ['images'],
      summary: 'Admin: replace the definition (the image.yaml document as JSON); makes a new revision recorded with who, when and the diff',
      params: NameParams,
      body: Type.Record(Type.String(), Type.Unknown()),
      response: { 200: ImageDetail, ...errorResponses },
    },
  }, async (request) => {
    const current = await require(request.params.name);
    const file = catalog.fileImage(current.name);
    if (!file) throw new NotFoundError('image folder', current.name);
    const next = validateImageDocument(request.body, current.name, file.dir);
    await checkImageFiles(next);
    const diff = diffDefinitions(definitionOf(current), definitionOf(next));
    if (diff.length > 0) {
      const revision = catalog.sourceOf(current.name)?.revision ?? 1;
      await definitions.save(current.name, revision, definitionOf(next), principalOf(request).name, diff);
    }
    const image = await require(current.name);
    const [base, list, history] = await Promise.all([summary(image), builds.list(image.name), definitions.history(image.name)]);
    return { ...base, definition: definitionOf(image), builds: list, history };
  });

  app.post('/v1/images/:name/builds', {
    config: { auth: 'admin' },
    schema: {
      tags: ['images'],
      summary: 'Admin: queue a build of the current definition (a no-op when the same inputs were built)',
      params: NameParams,
      response: { 202: BuildRecordSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    const image = await require(request.params.name);
    if (!image.container) throw new ValidationError(`image ${image.name} has no container settings to build`, 'name');
    const build = await builds.create(image.name, catalog.sourceOf(image.name)?.revision ?? 1, principalOf(request).name);
    await deps.queues.build(build.id);
    return reply.status(202).header('location', `/v1/images/${image.name}/builds/${build.id}`).send(build);
  });

  app.get('/v1/images/:name/builds/:id', {
    schema: {
      tags: ['images'],
      summary: 'A build\'s state and log; with Accept: text/event-stream, the log follows live until the build ends',
      params: BuildParams,
      response: { 200: Type.Object({ build: BuildRecordSchema, log: Type.Array(Type.String()) }), ...errorResponses },
    },
  }, async (request, reply) => {
    const build = await builds.require(request.params.id);
    if (build.image !== request.params.name) throw new NotFoundError('build', request.params.id);
    if ((request.headers.accept ?? '').includes('text/event-stream')) return streamBuildLog(deps, build.id, request, reply);
    return { build, log: (await builds.log(build.id)).map((l) => l.line) };
  });
};

function stateOf(hasCurrent: boolean, last: BuildRecord | undefined): string {
  if (last && (last.state === 'queued' || last.state === 'running')) return 'building';
  if (hasCurrent) return 'ready';
  return last?.state === 'failed' ? 'failed' : 'not-built';
}
