/**
 * Committed offsets of one group by topic and partition: the same bookkeeping a classic group
 * keeps (ClassicGroup's offset methods), for consumer-protocol groups.
 */
import type { OffsetCommitValue } from '../records.js';

export class GroupOffsets {
  /** topic → partition → committed offset. */
  readonly offsets = new Map<string, Map<number, OffsetCommitValue>>();

  offset(topic: string, partition: number): OffsetCommitValue | undefined {
    return this.offsets.get(topic)?.get(partition);
  }

  setOffset(topic: string, partition: number, value: OffsetCommitValue): void {
    let byPartition = this.offsets.get(topic);
    if (byPartition === undefined) this.offsets.set(topic, (byPartition = new Map()));
    byPartition.set(partition, value);
  }

  removeOffset(topic: string, partition: number): boolean {
    const byPartition = this.offsets.get(topic);
    if (byPartition === undefined || !byPartition.delete(partition)) return false;
    if (byPartition.size === 0) this.offsets.delete(topic);
    return true;
  }

  offsetCount(): number {
    let n = 0;
    for (const byPartition of this.offsets.values()) n += byPartition.size;
    return n;
  }

  *allOffsets(): Generator<{ topic: string; partition: number; value: OffsetCommitValue }> {
    for (const [topic, byPartition] of this.offsets) for (const [partition, value] of byPartition) yield { topic, partition, value };
  }
}
