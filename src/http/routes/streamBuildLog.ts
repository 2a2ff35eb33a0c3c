import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../app/buildDeps.js';
import type { LogLine } from '../../images/buildRecord.js';

const BLOCK_MS = 15_000;

/** Server-sent events of a build's log: what is there, then live lines until the build ends or the client leaves. */
export async function streamBuildLog(deps: Deps, buildId: string, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  let open = true;
  const conn = deps.connect();
  res.on('close', () => {
    open = false;
    conn.disconnect();
  });
  const send = (l: LogLine) => {
    res.write(`id: ${l.id}\nevent: ${l.state ? 'end' : 'log'}\ndata: ${JSON.stringify(l)}\n\n`);
    if (l.state) open = false;
  };
  try {
    let cursor = '0-0';
    for (const l of await deps.builds.log(buildId)) {
      send(l);
      cursor = l.id;
    }
    while (open) {
      const batch = await deps.builds.follow(conn, buildId, cursor, BLOCK_MS);
      if (batch.length === 0) res.write(': keep-alive\n\n');
      for (const l of batch) {
        send(l);
        cursor = l.id;
      }
    }
  } catch (err) {
    if (open) request.log.warn({ err }, 'build log stream ended');
  } finally {
    conn.disconnect();
    res.end();
  }
}
