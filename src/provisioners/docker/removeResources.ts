import type Docker from 'dockerode';
import { dockerStatus } from '../../docker/dockerFailure.js';

const GONE_TIMEOUT_MS = 30_000;

/** Force-removes a container (and its anonymous volumes); one that is already gone is success. */
export async function removeContainer(docker: Docker, idOrName: string): Promise<void> {
  try {
    await docker.getContainer(idOrName).remove({ force: true, v: true });
    return;
  } catch (err) {
    if (dockerStatus(err) === 404) return;
    // 409: another caller's removal is in progress; wait for it to finish.
    if (dockerStatus(err) !== 409) throw err;
  }
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      await docker.getContainer(idOrName).inspect();
    } catch (err) {
      if (dockerStatus(err) === 404) return;
      throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`container ${idOrName} is still being removed after ${GONE_TIMEOUT_MS / 1000} s`);
}

/** Removes a network, first disconnecting whatever is still attached; one that is already gone is success. */
export async function removeNetwork(docker: Docker, idOrName: string): Promise<void> {
  const network = docker.getNetwork(idOrName);
  try {
    await network.remove();
    return;
  } catch (err) {
    if (dockerStatus(err) === 404) return;
    if (!/active endpoints/i.test(String(err))) throw err;
  }
  try {
    const info = (await network.inspect()) as { Containers?: Record<string, unknown> };
    for (const id of Object.keys(info.Containers ?? {})) await network.disconnect({ Container: id, Force: true });
    await network.remove();
  } catch (err) {
    if (dockerStatus(err) !== 404) throw err;
  }
}
