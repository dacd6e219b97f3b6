/**
 * Group commit for one file: however many callers ask for durability at once, at most two
 * flushes (fdatasync) run for them.
 *
 * - Nothing in flight: a flush starts now and covers everything written so far.
 * - A flush in flight that already covers everything written (no write since it started): the
 *   caller shares it.
 * - Otherwise the caller waits for the next flush, which starts as soon as the current one
 *   settles and covers every caller that queued for it: N concurrent callers cost at most 2.
 * - Nothing written since the last successful flush: resolves at once, no flush.
 *
 * Writes are reported with `touch()`; a flush covers the writes touched before it started.
 *
 * A failed flush is sticky: its callers and every later `sync()` reject with its error. After a
 * failed fdatasync the kernel may have dropped the dirty pages, so a later "successful" one would
 * prove nothing; the file has to be reopened (and recovered) to be trusted again.
 */

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class GroupCommit {
  /** Bumped by every write. */
  private generation = 0;
  /** The generation the last successful flush covered; -1 before the first one. */
  private durable = -1;
  private running: { generation: number; promise: Promise<void> } | undefined;
  private queued: Deferred | undefined;
  private failure: unknown;
  private failed = false;
  private idleWaiters: Array<() => void> = [];

  /**
   * `flush` performs one fdatasync (or equivalent) of everything written before it is called.
   * `clean`: nothing is unsynced yet (a file just created), so a sync before any write is free.
   */
  constructor(private readonly flush: () => Promise<void>, options: { clean?: boolean } = {}) {
    if (options.clean === true) this.durable = 0;
  }

  /** Record a write: the next sync() needs a new flush. */
  touch(): void {
    this.generation++;
  }

  /** True while a flush runs or is queued. */
  get busy(): boolean {
    return this.running !== undefined || this.queued !== undefined;
  }

  /** Resolves once every write touched before the call is durable (see the class comment). */
  sync(): Promise<void> {
    if (this.failed) return Promise.reject(this.failure);
    const running = this.running;
    if (running === undefined) {
      if (this.durable === this.generation) return Promise.resolve();
      return this.launch();
    }
    if (running.generation === this.generation) return running.promise;
    this.queued ??= deferred();
    return this.queued.promise;
  }

  /** Resolves (never rejects) when no flush is running or queued. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private launch(): Promise<void> {
    const generation = this.generation;
    let promise: Promise<void>;
    try {
      promise = this.flush();
    } catch (err) {
      promise = Promise.reject(err);
    }
    promise = promise.then(
      () => {
        if (generation > this.durable) this.durable = generation;
      },
      (err: unknown) => {
        if (!this.failed) {
          this.failed = true;
          this.failure = err;
        }
        throw err;
      },
    );
    this.running = { generation, promise };
    // Registered before any caller's handler, so the next flush starts in the same tick as
    // this one settles: no window in which a newcomer could start a third one.
    promise.then(
      () => this.settled(),
      () => this.settled(),
    );
    return promise;
  }

  private settled(): void {
    this.running = undefined;
    const next = this.queued;
    this.queued = undefined;
    if (next !== undefined) {
      if (this.failed) next.reject(this.failure);
      else if (this.durable === this.generation) next.resolve();
      else this.launch().then(next.resolve, next.reject);
    }
    if (!this.busy) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
