import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { EnvironmentEvent } from '../../domain/environment.js';

const BLOCK_MS = 15_000;

/** Server-sent events: history after `lastId`, then live events until the environment is destroyed or the client leaves. */
export async function streamEvents(deps: Deps, envId: string, lastId: string | undefined, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  let open = true;
  // A blocking XREAD holds its connection; each stream gets its own, closed when the client goes.
  const conn = deps.connect();
  // The response's close is the reliable sign the client went away (the request's fires once its body is read).
  res.on('close', () => {
    open = false;
    conn.disconnect();
  });
  const send = (e: EnvironmentEvent) => res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  try {
    let cursor = lastId ?? '0-0';
    for (const e of await deps.events.history(envId, lastId ? { after: lastId } : {})) {
      send(e);
      cursor = e.id;
      if (e.state === 'destroyed') open = false;
    }
    while (open) {
      const batch = await deps.events.follow(conn, envId, cursor, BLOCK_MS);
      if (batch.length === 0) res.write(': keep-alive\n\n');
      for (const e of batch) {
        send(e);
        cursor = e.id;
        if (e.state === 'destroyed') open = false;
      }
    }
  } catch (err) {
    if (open) request.log.warn({ err }, 'event stream ended');
  } finally {
    conn.disconnect();
    res.end();
  }
}
