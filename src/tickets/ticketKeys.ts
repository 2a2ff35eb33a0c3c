/** The Redis keys of the ticket side, under the service's prefix beside the store's keys (store/keys.ts). */
export function ticketKeys(prefix: string) {
  return {
    delivery: (id: string) => `${prefix}:tickets:delivery:${id}`,
    status: (system: string, id: string) => `${prefix}:tickets:status:${system}:${id}`,
    /** envId → last event id read by the watcher. */
    watch: `${prefix}:tickets:watch`,
    /** Held while one request for a ticket and image is checked and created. */
    lock: (system: string, id: string, image: string) => `${prefix}:tickets:lock:${system}:${id}:${image}`,
  };
}
