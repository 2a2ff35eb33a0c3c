import * as pulumi from '@pulumi/pulumi';
import { beforeAll, describe, expect, it } from 'vitest';

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

const registered: Registered[] = [];
const config: Record<string, string> = {
  envId: 'env-1',
  ticket: 'glpi:42',
  image: 'debian-12',
  disk: '/data/vm-images/debian-12/disk.qcow2',
  kernel: '/data/vm-images/debian-12/vmlinuz',
  initrd: '/data/vm-images/debian-12/initrd.img',
  cmdline: 'root=/dev/vda rw console=ttyS0',
  cpus: '2',
  memoryMb: '1024',
  diskGb: '8',
  user: 'debian',
  packages: JSON.stringify(['curl', 'nginx=1.22.1-9']),
  packageCacheUrl: 'http://172.17.0.1:3142',
  sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB repro-env-1',
  libvirtUri: 'qemu:///system',
  network: 'default',
  pool: 'repro',
  poolPath: '/data/libvirt-pool',
  domainType: 'qemu',
  sshPort: '40022',
  serialLog: '/data/vms/env-1/serial.log',
};

const output = <T>(o: pulumi.Output<T> | T): Promise<T> =>
  pulumi.Output.isInstance(o) ? new Promise((resolve) => (o as pulumi.Output<T>).apply((v) => resolve(v))) : Promise.resolve(o as T);

describe('infra program (VM stack)', () => {
  let program: Record<string, any>;

  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      'repro',
      'env-1',
      false,
    );
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`repro:${k}`, v])));
    program = await import('../../infra/index.js');
    await output(program.domainName);
  });

  it('declares the overlay, the seed and the domain as dynamic resources', () => {
    // Registration order of the volumes is not defined (they do not depend on each other).
    expect(registered.map((r) => [r.type, r.name]).sort()).toEqual([
      ['pulumi-nodejs:dynamic/repro:libvirt:Domain:Resource', 'domain'],
      ['pulumi-nodejs:dynamic/repro:libvirt:Overlay:Resource', 'overlay'],
      ['pulumi-nodejs:dynamic/repro:libvirt:Seed:Resource', 'seed'],
    ]);
  });

  it('puts the overlay on the image base with the requested size', () => {
    const overlay = registered.find((r) => r.name === 'overlay')!.inputs;
    expect(overlay).toMatchObject({
      uri: 'qemu:///system',
      pool: 'repro',
      name: 'repro-env-1-disk.qcow2',
      backingPath: config.disk,
      sizeGb: 8,
    });
  });

  it('seeds hostname, user, key, packages and the ready marker', () => {
    const seed = registered.find((r) => r.name === 'seed')!.inputs;
    expect(seed.name).toBe('repro-env-1-seed.iso');
    const userData: string = seed.files['user-data'];
    expect(userData.startsWith('#cloud-config\n')).toBe(true);
    expect(userData).toContain('hostname: repro-env-1');
    expect(userData).toContain('name: debian');
    expect(userData).toContain(config.sshPublicKey);
    expect(userData).toContain('- curl');
    expect(userData).toContain('- nginx=1.22.1-9');
    expect(userData).toContain('REPRO-READY env-1');
    expect(userData).toContain('dpkg-query -W curl nginx');
    expect(userData).toContain(`http_proxy: ${config.packageCacheUrl}`);
    expect(seed.files['meta-data']).toContain('instance-id: env-1');
  });

  it('creates the domain after both volumes', () => {
    expect(registered.at(-1)?.name).toBe('domain');
  });

  it('gives the domain our ids, the boot settings and both volumes', () => {
    const domain = registered.find((r) => r.name === 'domain')!.inputs;
    expect(domain).toMatchObject({
      name: 'repro-env-1',
      type: 'qemu',
      cpus: 2,
      memoryMb: 1024,
      overlay: 'repro-env-1-disk.qcow2',
      seed: 'repro-env-1-seed.iso',
      kernel: config.kernel,
      initrd: config.initrd,
      network: 'default',
      serialLog: config.serialLog,
      metadata: { envId: 'env-1', ticket: 'glpi:42', sshPort: 40022, user: 'debian' },
    });
  });

  it('serialises providers that call the shared libvirt steps', () => {
    for (const r of registered) {
      expect(typeof r.inputs.__provider).toBe('string');
      expect(r.inputs.__provider).toContain('stepCli.ts');
    }
    expect(registered.find((r) => r.name === 'domain')!.inputs.__provider).toContain('createDomain');
  });

  it('outputs the domain name and access details', async () => {
    expect(await output(program.domainName)).toBe('repro-env-1');
    expect(program.sshUser).toBe('debian');
    expect(program.sshPort).toBe(40022);
    expect(program.envId).toBe('env-1');
    expect(program.ticket).toBe('glpi:42');
  });
});
