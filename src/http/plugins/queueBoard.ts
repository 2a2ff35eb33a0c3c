import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { errorHandler as boardErrors } from '@bull-board/api/dist/handlers/error.js';
import type { HTTPStatus } from '@bull-board/api/dist/types.js';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyPluginAsync } from 'fastify';
import { ReproError } from '../../domain/errors.js';

export const QUEUE_BOARD_PATH = '/admin/queues';
/** How often the board looks for queues that appeared since (another host's, a worker started later). */
const RESCAN_MS = 10_000;

/** The queues' dashboard (`@bull-board/fastify`), for admins only. */
export const queueBoard: FastifyPluginAsync = async (app) => {
  const { deps } = app;
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
    const names = await deps.queues.names();
    if (names.join() !== shown) {
      shown = names.join();
      replaceQueues(names.map((name) => new BullMQAdapter(deps.queues.get(name))));
    }
  });
  await app.register(board.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
};
