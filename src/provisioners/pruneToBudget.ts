/** How many package-set snapshots a host keeps, and how many bytes of their own. */
export interface SnapshotBudget {
  maxCount: number;
  maxBytes: number;
}

export interface BudgetedSnapshot {
  ownBytes: number;
  lastUsed: number;
}

/**
 * Removes the least recently used snapshots until the rest fit the budget. One in use is skipped;
 * `remove` answers false when it could not (taken into use meanwhile), and that one stays too.
 */
export async function pruneToBudget<S extends BudgetedSnapshot>(
  snapshots: S[],
  budget: SnapshotBudget,
  inUse: (s: S) => boolean,
  remove: (s: S) => Promise<boolean>,
): Promise<void> {
  const oldestFirst = [...snapshots].sort((a, b) => a.lastUsed - b.lastUsed);
  let count = oldestFirst.length;
  let bytes = oldestFirst.reduce((sum, s) => sum + s.ownBytes, 0);
  for (const s of oldestFirst) {
    if (count <= budget.maxCount && bytes <= budget.maxBytes) break;
    if (inUse(s) || !(await remove(s))) continue;
    count -= 1;
    bytes -= s.ownBytes;
  }
}
