/**
 * The client quotas in force (Kafka's ClientQuotaManager for produce and fetch bytes and
 * ClientRequestQuotaManager for request time): each connection's user and client id resolve,
 * key by key, to the first entity in Kafka's precedence that sets the key (entity.ts), and to
 * the rate that entity counts them under; a request records its bytes or time there and gets
 * the throttle time Kafka would give it. The resolution is cached per connection and redone
 * only when its user or client id, or the configuration, changes: one map lookup per request.
 */
import { CONNECTION_CREATION_RATE, CONSUMER_BYTE_RATE, entityKey, PRODUCER_BYTE_RATE, precedence, REQUEST_PERCENTAGE } from './entity.js';
import { type RateWindows, SampledRate, throttleTimeMs } from './sampled-rate.js';
import type { QuotaConfigs } from './store.js';

/** A bound and the rate counted against it. */
export interface Limit {
  readonly bound: number;
  readonly rate: SampledRate;
}

/** What one user and client id are held to (null: no quota of that kind). */
export interface Resolved {
  readonly version: number;
  readonly user: string;
  readonly clientId: string;
  readonly produce: Limit | null;
  readonly fetch: Limit | null;
  readonly request: Limit | null;
}

/** Kafka drops a quota sensor unused this long (ClientQuotaManager's InactiveSensorExpirationTimeSeconds). */
const INACTIVE_MS = 3600_000;

/** Kafka's ClientRequestQuotaManager records request time in percent of a second. */
const PERCENT_PER_MS = 100 / 1000;

export class ClientQuotas {
  private readonly rates = new Map<string, SampledRate>();
  private readonly cache = new WeakMap<object, Resolved>();
  /** Rates made since the last sweep of inactive ones. */
  private made = 0;

  constructor(readonly configs: QuotaConfigs, readonly windows: RateWindows) {}

  /** False while no client quota is configured: requests skip quotas entirely. */
  get active(): boolean {
    return this.configs.size > 0;
  }

  /** The quotas of `holder`'s (a connection's) current user and client id. */
  lookup(holder: object, user: string, clientId: string): Resolved {
    const cached = this.cache.get(holder);
    if (cached !== undefined && cached.version === this.configs.version && cached.user === user && cached.clientId === clientId) return cached;
    const resolved = this.resolve(user, clientId);
    this.cache.set(holder, resolved);
    return resolved;
  }

  resolve(user: string, clientId: string): Resolved {
    const order = precedence(user, clientId);
    return {
      version: this.configs.version, user, clientId,
      produce: this.limit(order, PRODUCER_BYTE_RATE),
      fetch: this.limit(order, CONSUMER_BYTE_RATE),
      request: this.limit(order, REQUEST_PERCENTAGE),
    };
  }

  /** Record `value` and answer the throttle time in ms (ClientQuotaManager.maybeRecordAndGetThrottleTimeMs). */
  static record(limit: Limit | null, value: number, now: number): number {
    if (limit === null) return 0;
    limit.rate.record(value, now);
    return throttleTimeMs(limit.rate, limit.bound, now);
  }

  /**
   * Record `ms` of request handling time; the throttle is at most one window, as Kafka's
   * ClientRequestQuotaManager bounds it (maxThrottleTimeMs = quota.window.size.seconds).
   */
  recordRequestTime(resolved: Resolved, ms: number, now: number): number {
    const t = ClientQuotas.record(resolved.request, ms * PERCENT_PER_MS, now);
    return Math.min(t, this.windows.windowMs);
  }

  /** The connection_creation_rate of an address: its own entity's, else the ip `<default>`'s (KIP-612). */
  ipConnectionRate(ip: string): number | undefined {
    if (this.configs.size === 0) return undefined;
    return this.configs.value(entityKey({ ip }), CONNECTION_CREATION_RATE) ?? this.configs.value(entityKey({ ip: null }), CONNECTION_CREATION_RATE);
  }

  /** Forget rates not recorded for an hour (one client id per short-lived client would otherwise grow the map for ever). */
  sweep(now: number): void {
    this.made = 0;
    for (const [id, rate] of this.rates) if (now - rate.lastWindowMs >= INACTIVE_MS) this.rates.delete(id);
  }

  /** Rates kept (one per user and client id counted). */
  get rateCount(): number {
    return this.rates.size;
  }

  private limit(order: ReadonlyArray<{ key: string; sensor: string }>, quotaKey: string): Limit | null {
    for (const { key, sensor } of order) {
      const bound = this.configs.value(key, quotaKey);
      if (bound === undefined) continue;
      const id = `${quotaKey}|${sensor}`;
      let rate = this.rates.get(id);
      if (rate === undefined) {
        rate = new SampledRate(this.windows);
        this.rates.set(id, rate);
        if (++this.made >= 1000) this.sweep(Date.now());
      }
      return { bound, rate };
    }
    return null;
  }
}
