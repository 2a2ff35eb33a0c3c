import { createConnection, createServer, type Server } from 'node:net';

export interface Forward {
  port: number;
  close(): Promise<void>;
}

export interface PortForwarder {
  /**
   * Listens on host:port (0 = any free port) and pipes each connection to the address
   * `target()` returns at that moment: the guest's DHCP address can change, the port cannot.
   */
  open(key: string, port: number, target: () => Promise<{ host: string; port: number } | undefined>): Promise<Forward>;
  get(key: string): Forward | undefined;
  close(key: string): Promise<void>;
  closeAll(): Promise<void>;
}

/**
 * SSH to a guest on libvirt's NAT network goes through the worker: a small TCP forwarder
 * on `libvirt.sshHost`. It needs no change to the network (no hostfwd, no iptables DNAT),
 * so it works the same beside Docker's firewall rules.
 */
export function createPortForwarder(host: string): PortForwarder {
  const forwards = new Map<string, { forward: Forward; server: Server }>();

  return {
    async open(key, port, target) {
      await this.close(key);
      const server = createServer((client) => {
        client.pause();
        target().then(
          (to) => {
            if (!to) return client.destroy();
            const upstream = createConnection(to);
            upstream.on('error', () => client.destroy());
            client.on('error', () => upstream.destroy());
            client.pipe(upstream).pipe(client);
            client.resume();
          },
          () => client.destroy(),
        );
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      const forward: Forward = {
        port: bound,
        close: () => new Promise<void>((resolve) => {
          forwards.delete(key);
          server.close(() => resolve());
        }),
      };
      forwards.set(key, { forward, server });
      return forward;
    },
    get(key) {
      return forwards.get(key)?.forward;
    },
    async close(key) {
      await forwards.get(key)?.forward.close();
    },
    async closeAll() {
      await Promise.all([...forwards.values()].map((f) => f.forward.close()));
    },
  };
}
