/**
 * Long-poll wake-ups: fetches waiting for data register on the partitions they read, and an
 * append to any of them wakes them. One timer per waiting fetch, nothing per append when no
 * one waits.
 */
export class AppendWaiters {
  private readonly byPartition = new Map<string, Set<() => void>>();

  notify(topic: string, partition: number): void {
    const set = this.byPartition.get(`${topic}\u0000${partition}`);
    if (set === undefined) return;
    for (const wake of [...set]) wake();
  }

  wait(partitions: ReadonlyArray<{ topic: string; partition: number }>, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const keys = partitions.map((p) => `${p.topic}\u0000${p.partition}`);
      let timer: NodeJS.Timeout | undefined;
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        for (const k of keys) {
          const set = this.byPartition.get(k);
          set?.delete(wake);
          if (set?.size === 0) this.byPartition.delete(k);
        }
        resolve();
      };
      if (signal?.aborted) return resolve();
      signal?.addEventListener('abort', wake);
      for (const k of keys) {
        let set = this.byPartition.get(k);
        if (set === undefined) this.byPartition.set(k, (set = new Set()));
        set.add(wake);
      }
      timer = setTimeout(wake, ms);
    });
  }
}
