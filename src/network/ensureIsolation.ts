import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ProviderError } from '../domain/errors.js';
import { hookRule, type ChainRules, type Family } from './isolationRules.js';

const TOOLS: Record<Family, { cmd: string; restore: string }> = {
  ipv4: { cmd: 'iptables', restore: 'iptables-restore' },
  ipv6: { cmd: 'ip6tables', restore: 'ip6tables-restore' },
};

function run(file: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new ProviderError(`${file}: ${err.message}`, { retryable: false, cause: err }));
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
    // A command that exits before reading its stdin must not crash us with EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/** The rule sets this host needs: IPv6 only where the kernel has an IPv6 stack. */
function wanted(rules: ChainRules[]): ChainRules[] {
  const ipv6 = existsSync('/proc/net/if_inet6');
  return rules.filter((c) => c.family === 'ipv4' || ipv6);
}

function chainText(c: ChainRules): string[] {
  return [`-N ${c.chain}`, ...c.rules.map((r) => `-A ${c.chain} ${r.join(' ')}`)];
}

/**
 * What is missing or different from the isolation rule set, one line each; empty when it is all
 * in place. Reads only, so a worker that may not change the firewall can still say what is wrong.
 */
export async function checkIsolation(rules: ChainRules[]): Promise<string[]> {
  const problems: string[] = [];
  for (const c of wanted(rules)) {
    const { cmd } = TOOLS[c.family];
    const listed = await run(cmd, ['-w', '-t', 'mangle', '-S', c.chain]);
    const lines = listed.stdout.split('\n').filter((l) => l.trim() !== '');
    if (listed.code !== 0) problems.push(`${cmd} -t mangle: chain ${c.chain} is missing`);
    else if (lines.join('\n') !== chainText(c).join('\n')) problems.push(`${cmd} -t mangle: chain ${c.chain} differs from the expected rules`);
    const hooked = await run(cmd, ['-w', '-t', 'mangle', '-C', ...hookRule(c)]);
    if (hooked.code !== 0) problems.push(`${cmd} -t mangle: ${c.hook} does not jump to ${c.chain} for traffic from environment bridges`);
  }
  return problems;
}

/**
 * Installs the isolation rules (idempotent: each chain is replaced whole in one restore
 * transaction, a hook is inserted only when absent), then checks them. Throws a ProviderError
 * naming what is missing when they cannot be put in place (no root, no iptables).
 */
export async function ensureIsolation(rules: ChainRules[]): Promise<void> {
  for (const family of ['ipv4', 'ipv6'] as const) {
    const chains = wanted(rules).filter((c) => c.family === family);
    if (chains.length === 0) continue;
    const { cmd, restore } = TOOLS[family];
    // Declaring a chain in a --noflush restore empties it first, so this rewrites only our chains.
    const text = ['*mangle', ...chains.map((c) => `:${c.chain} - [0:0]`), ...chains.flatMap((c) => chainText(c).slice(1)), 'COMMIT', ''].join('\n');
    const restored = await run(restore, ['-w', '--noflush'], text);
    if (restored.code !== 0) throw new ProviderError(`${restore} failed: ${restored.stderr.trim()}`, { retryable: false });
    for (const c of chains) {
      if ((await run(cmd, ['-w', '-t', 'mangle', '-C', ...hookRule(c)])).code === 0) continue;
      const [chain, ...spec] = hookRule(c);
      const inserted = await run(cmd, ['-w', '-t', 'mangle', '-I', chain!, '1', ...spec]);
      if (inserted.code !== 0) throw new ProviderError(`${cmd} -I ${chain} failed: ${inserted.stderr.trim()}`, { retryable: false });
    }
  }
  const problems = await checkIsolation(rules);
  if (problems.length > 0) throw new ProviderError(`environment isolation rules are not in place: ${problems.join('; ')}`, { retryable: false });
}
