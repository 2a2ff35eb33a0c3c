/**
 * What an environment may reach, as host firewall rules. Every environment's traffic enters the
 * host through a bridge whose name starts with ENV_BRIDGE_PREFIX: one per container environment
 * (Docker's `com.docker.network.bridge.name`), and the VM network's bridge, which starts with
 * VM_BRIDGE_PREFIX. The rules live in the `mangle` table: neither Docker nor libvirt manage it
 * (libvirt only adds a checksum rule to POSTROUTING), so their restarts never reorder or flush
 * ours, and mangle PREROUTING sees packets before nat's DNAT and before filter's ACCEPTs.
 * mangle cannot REJECT, so blocked traffic is dropped: a probe times out.
 */
export const ENV_BRIDGE_PREFIX = 'rp-';
/** The VM network's bridge: hex never contains `v`, so no container bridge can match it. */
export const VM_BRIDGE_PREFIX = 'rp-vm';

export const ISOLATION_CHAIN = 'REPRO-ISOLATION';
export const FORWARD_CHAIN = 'REPRO-ISOLATION-FWD';
/** The cloud metadata address (169.254.169.254) and the rest of IPv4 link-local. */
export const LINK_LOCAL = '169.254.0.0/16';

export type Family = 'ipv4' | 'ipv6';

export interface ChainRules {
  family: Family;
  chain: string;
  /** The built-in mangle chain that jumps here for traffic from environment bridges. */
  hook: 'PREROUTING' | 'FORWARD';
  /** Rule specs, exactly as `iptables -t mangle -S <chain>` prints them (the check compares text). */
  rules: string[][];
}

const fromEnv = `${ENV_BRIDGE_PREFIX}+`;
const fromVm = `${VM_BRIDGE_PREFIX}+`;

export function hookRule(c: Pick<ChainRules, 'hook' | 'chain'>): string[] {
  return [c.hook, '-i', fromEnv, '-j', c.chain];
}

/** A service on the host that environments may reach: address and TCP port. */
export interface HostService {
  address: string;
  port: number;
}

/** The host's package cache (config packageCache.url, an http://IPv4:port URL), unless `off`. */
export function packageCacheService(url: string): HostService | undefined {
  if (url === 'off') return undefined;
  const parsed = new URL(url);
  return { address: parsed.hostname, port: Number(parsed.port) };
}

/**
 * The whole rule set, the same for every worker and the set-up script of a deployment. The
 * package cache, when given, is the one service of the host environments may reach.
 */
export function isolationRules(packageCache?: HostService): ChainRules[] {
  const cacheRule = packageCache
    ? [['-d', `${packageCache.address}/32`, '-p', 'tcp', '-m', 'tcp', '--dport', String(packageCache.port), '-j', 'RETURN']]
    : [];
  return [
    {
      family: 'ipv4',
      chain: ISOLATION_CHAIN,
      hook: 'PREROUTING',
      rules: [
        // Answers to connections the host opened (the worker's SSH to a VM) come back in.
        ['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'RETURN'],
        ['-d', LINK_LOCAL, '-j', 'DROP'],
        // VMs get their address and name service from libvirt's dnsmasq on the host. Containers
        // need neither: Docker's resolver (127.0.0.11) lives in the container's own namespace.
        ['-i', fromVm, '-p', 'udp', '-m', 'udp', '--dport', '67', '-j', 'RETURN'],
        ['-i', fromVm, '-p', 'udp', '-m', 'udp', '--dport', '53', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'RETURN'],
        ['-i', fromVm, '-p', 'tcp', '-m', 'tcp', '--dport', '53', '-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'RETURN'],
        ...cacheRule,
        // Any address of the host, on any interface (published ports included: this runs before DNAT).
        ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'DROP'],
        ['-m', 'addrtype', '--dst-type', 'BROADCAST', '-j', 'DROP'],
        ['-m', 'addrtype', '--dst-type', 'MULTICAST', '-j', 'DROP'],
      ],
    },
    {
      family: 'ipv4',
      chain: FORWARD_CHAIN,
      hook: 'FORWARD',
      // Routed from an environment's bridge to another environment's, or to the bridges where
      // Docker and libvirt put everything else on this host: only the uplink is left.
      rules: [fromEnv, 'docker0', 'br-+', 'virbr+'].map((out) => ['-o', out, '-j', 'DROP']),
    },
    {
      // Environments get no IPv6 service, yet every bridge has a link-local address the host's
      // services listen on: nothing IPv6 from an environment reaches the host or goes through it.
      family: 'ipv6',
      chain: ISOLATION_CHAIN,
      hook: 'PREROUTING',
      rules: [['-j', 'DROP']],
    },
  ];
}
