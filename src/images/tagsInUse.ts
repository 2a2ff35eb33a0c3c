import { ENVIRONMENT_STATES } from '../domain/environment.js';
import { isLive } from '../domain/stateMachine.js';
import type { EnvironmentStore } from '../store/environmentStore.js';

/** Image tags of environments that are not destroyed yet: builds that must stay on the engine. */
export async function tagsInUse(store: Pick<EnvironmentStore, 'idsInState' | 'get'>): Promise<Set<string>> {
  const tags = new Set<string>();
  for (const state of ENVIRONMENT_STATES.filter(isLive)) {
    for (const id of await store.idsInState(state)) {
      const env = await store.get(id);
      const tag = env?.provenance?.imageTag ?? env?.imageTag;
      if (tag) tags.add(tag);
    }
  }
  return tags;
}
