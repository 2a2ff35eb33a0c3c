import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssh2 from 'ssh2';

export interface KeyPair {
  /** OpenSSH format, usable with `ssh -i` and by ssh2. */
  privateKey: string;
  /** `ssh-ed25519 AAAA… comment` */
  publicKey: string;
}

const PRIVATE = 'id_ed25519';

/** A fresh pair per environment, kept (0600) in the environment's state dir for later execs. */
export async function createKeyPair(stateDir: string, comment: string): Promise<KeyPair> {
  const pair = generateParseableKeyPair(comment);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(join(stateDir, PRIVATE), pair.private, { mode: 0o600 });
  await writeFile(join(stateDir, `${PRIVATE}.pub`), `${pair.public}\n`, { mode: 0o644 });
  return { privateKey: pair.private, publicKey: pair.public };
}

/**
 * ssh2 1.17 writes a malformed OpenSSH ed25519 key about once in 200 (neither ssh2 nor ssh-keygen
 * can load it back), so each pair is checked by parsing it and made again when it fails.
 */
function generateParseableKeyPair(comment: string): { private: string; public: string } {
  for (let attempt = 0; attempt < 8; attempt += 1) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error)) return pair;
  }
  throw new Error('could not generate a loadable ed25519 key pair');
}

export async function readPrivateKey(stateDir: string): Promise<string | undefined> {
  return readFile(join(stateDir, PRIVATE), 'utf8').catch(() => undefined);
}
