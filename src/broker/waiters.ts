/**
 * Long-poll wake-ups: fetches waiting for data register on the partitions they read, and an
 * append to any of them wakes them. One timer per waiting fetch, nothing per append when no
 * one waits.
 */
export class AppendWaiters {
  private readonly byPartition = new Map<string, Set<(appended?: boolean) => void>>();
  private readonly all = new Set<(appended?: boolean) => void>();
  private closed = false;

  /** Wake every waiter now and every later one at once (shutdown: long polls end). */
  close(): void {
    this.closed = true;
    for (const wake of [...this.all]) wake(false);
  }

  notify(topic: string, partition: number): void {
    const set = this.byPartition.get(`${topic}\u0000${partition}`);
    if (set === undefined) return;
    for (const wake of [...set]) wake(true);
  }

  /** Resolves true when an append to one of `partitions` woke it, false on timeout or close. */
  wait(partitions: ReadonlyArray<{ topic: string; partition: number }>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(false);
      const keys = partitions.map((p) => `${p.topic}\u0000${p.partition}`);
      let timer: NodeJS.Timeout | undefined;
      const wake = (appended = false) => {
        clearTimeout(timer);
        this.all.delete(wake);
        for (const k of keys) {
          const set = this.byPartition.get(k);
          set?.delete(wake);
          if (set?.size === 0) this.byPartition.delete(k);
        }
        resolve(appended);
      };
      this.all.add(wake);
      for (const k of keys) {
        let set = this.byPartition.get(k);
        if (set === undefined) this.byPartition.set(k, (set = new Set()));
        set.add(wake);
      }
      timer = setTimeout(() => wake(false), ms);
    });
  }
}
