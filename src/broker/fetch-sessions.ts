/**
 * Incremental fetch sessions (KIP-227), as the Java client and newer librdkafka use them. A
 * full fetch with epoch 0 creates a session holding the fetched partitions and their offsets;
 * later fetches name only what changed, and the response leaves out partitions with nothing
 * new (no records, same high watermark, start offset and last stable offset).
 *
 * Sessions are capped (Kafka: max.incremental.fetch.session.cache.slots = 1000); the least
 * recently used one is evicted and its client falls back to a full fetch when told
 * FETCH_SESSION_ID_NOT_FOUND. Idle sessions expire after two minutes.
 */

export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  maxBytes: number;
  /** What the last response told the client, to decide whether a partition has news. */
  sentHighWatermark: number;
  sentStartOffset: number;
}

export class FetchSession {
  readonly partitions = new Map<string, SessionPartition>();
  /** The epoch the next incremental request must carry. */
  nextEpoch = 1;
  lastUsed = Date.now();
  constructor(readonly id: number) {}
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

const MAX_SESSIONS = 1000;
const IDLE_MS = 120_000;

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private nextId = 1 + Math.floor(Math.random() * 0x3fffffff);

  create(): FetchSession {
    this.expire();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value as number;
      this.sessions.delete(oldest);
    }
    let id = this.nextId++;
    if (this.nextId > 0x7fffffff) this.nextId = 1;
    while (this.sessions.has(id) || id === 0) id = this.nextId++;
    const session = new FetchSession(id);
    this.sessions.set(id, session);
    return session;
  }

  /** The session, marked as just used (moved to the back of the LRU order). */
  get(id: number): FetchSession | undefined {
    const s = this.sessions.get(id);
    if (s === undefined) return undefined;
    this.sessions.delete(id);
    this.sessions.set(id, s);
    s.lastUsed = Date.now();
    return s;
  }

  remove(id: number): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private expire(): void {
    const cutoff = Date.now() - IDLE_MS;
    for (const [id, s] of this.sessions) {
      if (s.lastUsed >= cutoff) break;
      this.sessions.delete(id);
    }
  }
}
