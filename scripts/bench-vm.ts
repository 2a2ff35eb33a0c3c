/**
 * VM request→ready through repro's libvirt provisioner (direct engine) against the same image
 * booted by hand: qemu-img overlay, genisoimage seed with the same cloud-init user-data,
 * `virsh create` of an equivalent transient domain, timed to the same serial-console marker.
 * Prints both and the ratio (target ≤ 1.1). Then a VM with packages through repro, cold (it
 * installs and keeps the package-set snapshot) and the same packages in another order (from
 * the snapshot), side by side. One VM at a time. Needs scripts/setup-libvirt.
 *
 *   tsx scripts/bench-vm.ts            REPRO_BENCH_RUNS=3 for more rounds (median printed)
 *                                      REPRO_BENCH_VM_PACKAGES="tree bc" (empty: no package part)
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import ssh2 from 'ssh2';
import { testVmImage } from '../test/support/testVmImage.js';
import { createLibvirtProvisioner } from '../src/provisioners/libvirt/createLibvirtProvisioner.js';
import { domainTypeOf } from '../src/provisioners/libvirt/probeDomainType.js';
import { READY_MARKER, seedFiles } from '../src/provisioners/libvirt/seedFiles.js';
import { watchSerialLog } from '../src/provisioners/libvirt/serialLogWatcher.js';
import { createVirsh } from '../src/provisioners/libvirt/virsh.js';

const uri = process.env.REPRO_LIBVIRT_URI ?? 'qemu:///system';
const dataDir = resolve(process.env.REPRO_DATA_DIR ?? 'data');
const runs = Number(process.env.REPRO_BENCH_RUNS ?? 1);
const virsh = createVirsh(uri);

// The catalog's image, with absolute paths (shared with the libvirt tests).
const image = testVmImage;
const { cpus, memoryMb } = image.vm!;
const cmdline = image.vm!.cmdline ?? 'root=/dev/vda rw console=ttyS0';

async function throughRepro(workDir: string, id: string, packagesRuns: string[][] = [[]]): Promise<number[]> {
  const provisioner = createLibvirtProvisioner({
    libvirt: { uri, engine: 'direct', network: 'repro', sshHost: '127.0.0.1' },
    dataDir: workDir,
    pool: `repro-bench-${id}`,
    snapshots: { maxCount: 5, maxBytes: 20 * 1024 ** 3 },
  });
  const times: number[] = [];
  try {
    for (const [i, packages] of packagesRuns.entries()) {
      const envId = `${id}${i}`;
      const t0 = performance.now();
      const r = await provisioner.create(
        { envId, ticket: { system: 'bench', id }, image, packages, limits: { cpus, memoryMb, pids: 512, diskGb: image.vm!.diskGb } },
        () => undefined,
      );
      times.push(performance.now() - t0);
      if (packages.length > 0) console.log(`  [${packages.join(' ')}]: ${(times.at(-1)! / 1000).toFixed(1)}s${r.snapshot ? ` (from snapshot ${r.snapshot.slice(0, 12)})` : ''}`);
      await provisioner.destroy(envId);
    }
    return times;
  } finally {
    for (const i of packagesRuns.keys()) await provisioner.destroy(`${id}${i}`).catch(() => undefined);
    await provisioner.close();
    await virsh.run(['pool-destroy', `repro-bench-${id}`]).catch(() => undefined);
    await virsh.run(['pool-undefine', `repro-bench-${id}`]).catch(() => undefined);
  }
}

async function byHand(workDir: string, id: string, type: string): Promise<number> {
  const name = `bench-hand-${id}`;
  const overlay = join(workDir, 'disk.qcow2');
  const seed = join(workDir, 'seed.iso');
  const serial = join(workDir, 'serial.log');
  const key = ssh2.utils.generateKeyPairSync('ed25519');
  const t0 = performance.now();
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.vm!.disk, '-F', 'qcow2', overlay, `${image.vm!.diskGb}G`]);
  const files = seedFiles({ envId: id, hostname: name, user: 'debian', sshPublicKey: key.public, packages: [] });
  for (const [file, body] of Object.entries(files)) await writeFile(join(workDir, file), body);
  execFileSync('genisoimage', ['-quiet', '-output', seed, '-volid', 'cidata', '-joliet', '-rock', 'user-data', 'meta-data'], { cwd: workDir });
  const xml = `<domain type='${type}'>
  <name>${name}</name>
  <memory unit='MiB'>${memoryMb}</memory>
  <vcpu>${cpus}</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${image.vm!.kernel}</kernel><initrd>${image.vm!.initrd}</initrd><cmdline>${cmdline}</cmdline></os>
  <features><acpi/><apic/></features>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${overlay}'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='${seed}'/><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='network'><source network='repro'/><model type='virtio'/></interface>
    <serial type='pty'><log file='${serial}' append='off'/><target port='0'/></serial>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
    <memballoon model='none'/>
  </devices>
</domain>`;
  await writeFile(join(workDir, 'domain.xml'), xml);
  try {
    await virsh.run(['create', join(workDir, 'domain.xml')]);
    const found = await watchSerialLog(serial, {
      onLine: () => undefined,
      match: (line) => (line.includes(`${READY_MARKER} ${id} `) ? line : undefined),
      timeoutMs: 15 * 60_000,
    });
    if (!found) throw new Error('hand-booted VM never printed the ready marker');
    return performance.now() - t0;
  } finally {
    await virsh.run(['destroy', name]).catch(() => undefined);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// Probed once per process, as a worker does after its first VM: neither side's time includes it.
const type = await domainTypeOf(virsh);
const repro: number[] = [];
const hand: number[] = [];
for (let i = 0; i < runs; i++) {
  const workDir = await mkdtemp(join(dataDir, 'bench-vm-'));
  await chmod(workDir, 0o755); // qemu runs as libvirt-qemu
  const id = `b${Date.now().toString(36)}`;
  try {
    // Alternate the order so a warmer page cache does not always favour the same side.
    if (i % 2 === 0) {
      hand.push(await byHand(workDir, id, type));
      repro.push(...(await throughRepro(workDir, id)));
    } else {
      repro.push(...(await throughRepro(workDir, id)));
      hand.push(await byHand(workDir, id, type));
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  console.log(`round ${i + 1}: repro ${(repro.at(-1)! / 1000).toFixed(1)}s, by hand ${(hand.at(-1)! / 1000).toFixed(1)}s`);
}
const r = median(repro);
const h = median(hand);
console.log(`domain type: ${type}, runs: ${runs}`);
console.log(`repro (direct engine) request→ready: ${(r / 1000).toFixed(1)}s`);
console.log(`by hand (virsh create) boot→ready:   ${(h / 1000).toFixed(1)}s`);
console.log(`ratio: ${(r / h).toFixed(3)} (target ≤ 1.1)`);

const packages = (process.env.REPRO_BENCH_VM_PACKAGES ?? 'tree bc').split(/\s+/).filter(Boolean);
if (packages.length > 0) {
  const workDir = await mkdtemp(join(dataDir, 'bench-vm-'));
  await chmod(workDir, 0o755);
  try {
    console.log(`VM with packages through repro (cold, then the same set reversed):`);
    const [cold, warm] = await throughRepro(workDir, `p${Date.now().toString(36)}`, [packages, [...packages].reverse()]);
    console.log(`cold (installs, keeps the snapshot) request→ready: ${(cold! / 1000).toFixed(1)}s`);
    console.log(`from the snapshot request→ready:                  ${(warm! / 1000).toFixed(1)}s`);
    console.log(`ratio: ${(warm! / cold!).toFixed(3)}`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
// An SSH connection to a just-destroyed guest can stay half-closed (ssh2's end() waits for the
// peer): the results are printed, so do not wait for it.
process.exit(0);
