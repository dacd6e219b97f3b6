/**
 * The bytes of requests read and not yet answered across all of a broker's connections, bounded
 * by `queued.max.request.bytes` as Kafka's MemoryPool bounds them: while the total is at the
 * bound no connection reads its next request (what was read is still answered); connections
 * resume, in the order they stopped, as answers free memory. -1: unbounded (Kafka's default).
 */
export class RequestMemory {
  used = 0;
  /** The most `used` has been since the broker started. */
  peak = 0;
  private readonly waiting = new Set<() => void>();

  constructor(readonly max: number) {}

  get full(): boolean {
    return this.max >= 0 && this.used >= this.max;
  }

  add(bytes: number): void {
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
  }

  release(bytes: number): void {
    this.used -= bytes;
    if (this.waiting.size === 0 || this.full) return;
    const resume = [...this.waiting];
    this.waiting.clear();
    for (const r of resume) r();
  }

  /** Call `resume` once memory has been freed below the bound. */
  wait(resume: () => void): void {
    this.waiting.add(resume);
  }

  forget(resume: () => void): void {
    this.waiting.delete(resume);
  }
}
