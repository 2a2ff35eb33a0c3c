/**
 * Joins Prometheus text expositions that repeat metric names (BullMQ exports one queue at a time,
 * each with its own HELP and TYPE lines) into one valid exposition: each family's HELP and TYPE
 * once, then all its samples. Samples carry their family's name: BullMQ exports gauges and
 * counters only.
 */
export function mergeMetricFamilies(texts: string[]): string {
  const families = new Map<string, { head: Map<string, string>; samples: string[] }>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { head: new Map(), samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of texts.flatMap((text) => text.split('\n'))) {
    const comment = /^# (HELP|TYPE) (\S+)/.exec(line);
    if (comment) {
      const head = family(comment[2]!).head;
      if (!head.has(comment[1]!)) head.set(comment[1]!, line);
    } else if (line.trim() !== '') {
      family(/^[^{\s]+/.exec(line)![0]).samples.push(line);
    }
  }
  return [...families.values()].map((f) => [...f.head.values(), ...f.samples].join('\n')).join('\n');
}
