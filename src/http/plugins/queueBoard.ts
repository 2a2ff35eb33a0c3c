import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { errorHandler as boardErrors } from '@bull-board/api/dist/handlers/error.js';
import type { HTTPStatus } from '@bull-board/api/dist/types.js';
import { FastifyAdapter } from '@bull-board/fastify';
import { ReproError } from '../../errors.js';
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.js';
import { queueNames } from '../../queue/names.js';
import { TEARDOWN_QUEUE } from '../../tickets/ticketQueues.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

/** The queues' dashboard (`@bull-board/fastify`), for admins only. */
export const queueBoard = (deps: Deps): FastifyPluginAsync => async (app) => {
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), auth: 'admin' };
  });
  const board = new FastifyAdapter();
  createBullBoard({ queues: (await queuesInUse(deps)).map((name) => new BullMQAdapter(deps.queues.get(name))), serverAdapter: board });
  // The board answers errors from its own handler, the auth hook's 401/403/429 included: keep ours in our shape.
  board.setErrorHandler((err) => (err instanceof ReproError
    // Its status type leaves out 401 and 429, which it sends all the same.
    ? { status: err.status as HTTPStatus, body: { error: { code: err.code, message: err.message } } }
    : boardErrors(err)));
  board.setBasePath(QUEUE_BOARD_PATH);
  await app.register(board.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
};

/** This host's queues, plus those other hosts have created in the same Redis (their destroy and maintenance queues). */
async function queuesInUse(deps: Deps): Promise<string[]> {
  const { hostId } = deps.config;
  const names = new Set<string>([
    queueNames.provision('container'), queueNames.provision('vm'), queueNames.destroy(hostId),
    queueNames.maintenance(hostId), queueNames.expire, queueNames.notify, TEARDOWN_QUEUE,
  ]);
  const prefix = `${deps.keys.queues}:`;
  let cursor = '0';
  do {
    const [next, found] = await deps.redis.scan(cursor, 'MATCH', `${prefix}*:meta`, 'COUNT', 1000);
    cursor = next;
    for (const key of found) names.add(key.slice(prefix.length, -':meta'.length));
  } while (cursor !== '0');
  return [...names].sort();
}
