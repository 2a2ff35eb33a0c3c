import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { errorHandler as boardErrors } from '@bull-board/api/dist/handlers/error.js';
import type { HTTPStatus } from '@bull-board/api/dist/types.js';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../app/buildDeps.js';
import { ReproError } from '../../domain/errors.js';

export const QUEUE_BOARD_PATH = '/admin/queues';
/** How often the board looks for queues that appeared since (another host's, a worker started later). */
const RESCAN_MS = 10_000;

/** The queues' dashboard (`@bull-board/fastify`), for admins only. */
export const queueBoard = (deps: Deps): FastifyPluginAsync => async (app) => {
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), auth: 'admin' };
  });
  const board = new FastifyAdapter();
  const { replaceQueues } = createBullBoard({ queues: [], serverAdapter: board });
  // The board answers errors from its own handler, the auth hook's 401/403/429 included: keep ours in our shape.
  board.setErrorHandler((err) => (err instanceof ReproError
    // Its status type leaves out 401 and 429, which it sends all the same.
    ? { status: err.status as HTTPStatus, body: { error: { code: err.code, message: err.message } } }
    : boardErrors(err)));
  board.setBasePath(QUEUE_BOARD_PATH);

  let shown = '';
  let scannedAt = 0;
  app.addHook('preHandler', async () => {
    if (Date.now() - scannedAt < RESCAN_MS) return;
    scannedAt = Date.now();
    const names = await queuesInUse(deps);
    if (names.join() !== shown) {
      shown = names.join();
      replaceQueues(names.map((name) => new BullMQAdapter(deps.queues.get(name))));
    }
  });
  await app.register(board.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
};

/**
 * The queues that exist in this Redis (every host's), found by their BullMQ meta key: opening a
 * queue object for a name no worker uses would create it.
 */
async function queuesInUse(deps: Deps): Promise<string[]> {
  const prefix = `${deps.keys.queues}:`;
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, found] = await deps.redis.scan(cursor, 'MATCH', `${prefix}*:meta`, 'COUNT', 1000);
    cursor = next;
    for (const key of found) names.add(key.slice(prefix.length, -':meta'.length));
  } while (cursor !== '0');
  return [...names].sort();
}
