/**
 * Runs `remove`, one DELETE of at most `batch` rows answering how many it deleted, until a
 * short batch says nothing is left or `maxBatches` have run (`more`: the next run carries on).
 * Short statements, each its own transaction: no long locks, no huge WAL burst.
 */
export async function deleteInBatches(
  remove: () => Promise<number>,
  batch: number,
  maxBatches: number,
): Promise<{ deleted: number; more: boolean }> {
  let deleted = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await remove();
    deleted += n;
    if (n < batch) return { deleted, more: false };
  }
  return { deleted, more: true };
}
