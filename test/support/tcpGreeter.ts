import { connect, createServer, type Server } from 'node:net';

/** TCP listeners that greet with "hello" and record who connected: the targets of reachability probes. */
export function tcpGreeters() {
  const servers: Server[] = [];
  return {
    /** Listens on one host address (port chosen by the kernel). */
    async listen(host: string): Promise<{ port: number; peers: string[] }> {
      const peers: string[] = [];
      const server = createServer((socket) => {
        peers.push(socket.remoteAddress ?? '');
        socket.end('hello\n');
      });
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, host, resolve));
      return { port: (server.address() as { port: number }).port, peers };
    },
    async closeAll(): Promise<void> {
      await Promise.allSettled(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

/** The first line a TCP service sends, from this process. */
export function greeting(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: 3000 });
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().trim());
    });
    socket.once('timeout', () => reject(new Error('timed out')));
    socket.once('error', reject);
  });
}
