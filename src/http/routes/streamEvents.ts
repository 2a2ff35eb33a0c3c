import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../app/buildDeps.js';
import type { EnvironmentEvent } from '../../domain/environment.js';
import { principalOf } from '../plugins/auth.js';

const KEEP_ALIVE_MS = 15_000;

const format = (e: EnvironmentEvent) => `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

/**
 * Server-sent events: history after `lastId`, then live events from the process's shared event
 * feed until the environment is destroyed or the client leaves. A client that reads slowly is
 * not written to past its buffer (delivery waits for 'drain'); each token holds at most
 * `eventStreamsPerToken` live streams.
 */
export async function streamEvents(deps: Deps, envId: string, lastId: string | undefined, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  // Everything that can fail does so before the answer starts, so it is still a JSON error (503, 429).
  const history = await deps.events.history(envId, lastId ? { after: lastId } : {});
  const cursor = history.at(-1)?.id ?? lastId ?? '0-0';
  const finished = history.some((e) => e.state === 'destroyed');
  const res = reply.raw;
  let open = true;
  let keepAlive: NodeJS.Timeout | undefined;
  const end = () => {
    if (!open) return;
    open = false;
    clearInterval(keepAlive);
    subscription?.close();
    res.end();
  };
  const subscription = finished ? undefined : deps.eventFeed.subscribe({
    owner: principalOf(request).name,
    limit: deps.config.eventStreamsPerToken,
    envId,
    after: cursor,
    paused: true,
    deliver(e) {
      if (!open) return true;
      const more = res.write(format(e));
      if (e.state === 'destroyed') end();
      else if (!more) res.once('drain', () => subscription?.resume());
      return more;
    },
  });

  reply.hijack();
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  // The response's close is the reliable sign the client went away (the request's fires once its body is read).
  res.on('close', end);
  for (const e of history) {
    if (!open) return;
    if (!res.write(format(e))) await new Promise((r) => { res.once('drain', r); res.once('close', r); });
  }
  if (finished || !subscription) return end();
  keepAlive = setInterval(() => {
    if (open && !res.writableNeedDrain) res.write(': keep-alive\n\n');
  }, KEEP_ALIVE_MS);
  subscription.resume();
}
