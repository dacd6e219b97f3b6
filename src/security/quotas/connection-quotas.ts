/**
 * Kafka's ConnectionQuotas for the broker's listeners:
 * - `max.connections.per.ip` (and `max.connections.per.ip.overrides`, `host:n,...`): a
 *   connection from an address already at its limit is closed at once.
 * - `max.connections` broker-wide and `listener.name.<l>.max.connections` per listener: at the
 *   limit, new connections wait, unread, until one closes (Kafka's acceptor stops accepting and
 *   they wait in the backlog; here they wait accepted but unread, which a client sees alike).
 * - `max.connection.creation.rate` broker-wide and `listener.name.<l>.max.connection.creation.rate`:
 *   each accepted connection is recorded in a rate over Kafka's quota windows; one that takes
 *   the rate over its bound holds back that listener's accepting for the throttle time.
 * - the `connection_creation_rate` client quota of an IP entity (KIP-612, AlterClientQuotas with
 *   entity type ip, or its `<default>`): a connection that takes its address's rate over the
 *   quota is held unread for the throttle time and then closed, as Kafka closes it after the
 *   throttle so the client backs off.
 */
import { isIP, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { type RateWindows, SampledRate, throttleTimeMs } from './sampled-rate.js';

export interface ConnectionQuotaConfig {
  raw(key: string): string | undefined;
  int(key: string): number;
}

interface Waiting {
  socket: Socket;
  ip: string;
  start: (release: () => void) => void;
  /** Already counted in the creation rates (it is the one that went over them). */
  recorded: boolean;
}

interface ListenerState {
  readonly max: number;
  readonly rateBound: number;
  readonly rate: SampledRate;
  readonly queue: Waiting[];
  count: number;
  blockedUntil: number;
  timer: NodeJS.Timeout | null;
}

const UNLIMITED = 2147483647;

/** `::ffff:127.0.0.1` and `127.0.0.1` are one address. */
function addressOf(socket: Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

export class ConnectionQuotas {
  private readonly maxTotal: number;
  private readonly perIp: number;
  private readonly ipOverrides = new Map<string, number>();
  private readonly brokerRateBound: number;
  private readonly brokerRate: SampledRate;
  private readonly listeners = new Map<string, ListenerState>();
  private readonly byIp = new Map<string, number>();
  private total = 0;
  private closed = false;

  private readonly ipRates = new Map<string, SampledRate>();

  /** `ipQuota(ip)`: the connection_creation_rate quota of an address, if any. */
  constructor(private readonly config: ConnectionQuotaConfig, private readonly windows: RateWindows, private readonly logger: Logger, private readonly ipQuota: (ip: string) => number | undefined = () => undefined) {
    this.maxTotal = config.int('max.connections');
    this.perIp = config.int('max.connections.per.ip');
    for (const item of (config.raw('max.connections.per.ip.overrides') ?? '').split(',')) {
      const t = item.trim();
      if (t === '') continue;
      const i = t.lastIndexOf(':');
      const n = Number(t.slice(i + 1));
      if (i <= 0 || !Number.isInteger(n) || n < 0) throw new Error(`max.connections.per.ip.overrides: ${JSON.stringify(t)} is not host:count`);
      this.ipOverrides.set(t.slice(0, i).replace(/^\[|\]$/g, ''), n);
    }
    this.brokerRateBound = config.int('max.connection.creation.rate');
    this.brokerRate = new SampledRate(windows);
  }

  /** Connections open now (not counting those waiting for a slot). */
  get open(): number {
    return this.total;
  }

  /**
   * Admit a new connection of `listener`: `start(release)` runs once it may be served (at once,
   * or when a slot frees or the creation rate allows); `release` must be called when it closes.
   * A connection over its address's limit is closed instead.
   */
  admit(listener: string, socket: Socket, start: (release: () => void) => void): void {
    const ip = addressOf(socket);
    const fromIp = this.byIp.get(ip) ?? 0;
    const limit = this.ipOverrides.get(ip) ?? this.perIp;
    if (fromIp >= limit) {
      this.logger.info({ listener, remote: ip, limit }, 'closing a connection: max.connections.per.ip reached for its address');
      socket.destroy();
      return;
    }
    const rateQuota = this.ipQuota(ip);
    if (rateQuota !== undefined) {
      const now = Date.now();
      let rate = this.ipRates.get(ip);
      if (rate === undefined) {
        rate = new SampledRate(this.windows);
        this.ipRates.set(ip, rate);
      }
      rate.record(1, now);
      const throttle = throttleTimeMs(rate, rateQuota, now);
      if (throttle > 0) {
        this.logger.info({ listener, remote: ip, throttleMs: throttle, quota: rateQuota }, 'closing a connection after its throttle: connection_creation_rate of its address exceeded');
        const t = setTimeout(() => socket.destroy(), throttle);
        t.unref();
        return;
      }
    }
    this.byIp.set(ip, fromIp + 1);
    const l = this.listener(listener);
    l.queue.push({ socket, ip, start, recorded: false });
    this.drain(l);
  }

  /** Stop admitting: waiting connections are closed. */
  close(): void {
    this.closed = true;
    for (const l of this.listeners.values()) {
      if (l.timer !== null) clearTimeout(l.timer);
      for (const w of l.queue.splice(0)) w.socket.destroy();
    }
  }

  private listener(name: string): ListenerState {
    let l = this.listeners.get(name);
    if (l === undefined) {
      const prefix = `listener.name.${name.toLowerCase()}.`;
      const num = (key: string) => {
        const v = this.config.raw(prefix + key);
        if (v === undefined) return UNLIMITED;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new Error(`${prefix}${key}=${v}: expected a whole number of at least 0`);
        return n;
      };
      l = { max: num('max.connections'), rateBound: num('max.connection.creation.rate'), rate: new SampledRate(this.windows), queue: [], count: 0, blockedUntil: 0, timer: null };
      this.listeners.set(name, l);
    }
    return l;
  }

  private drain(l: ListenerState): void {
    while (l.queue.length > 0 && !this.closed && l.timer === null) {
      const w = l.queue[0]!;
      if (w.socket.destroyed) {
        l.queue.shift();
        this.dropIp(w.ip);
        continue;
      }
      if (this.total >= this.maxTotal || l.count >= l.max) return; // a release drains again
      const now = Date.now();
      if (!w.recorded) {
        w.recorded = true;
        const throttle = this.recordCreation(l, now);
        if (throttle > 0) l.blockedUntil = now + throttle;
      }
      if (now < l.blockedUntil) {
        l.timer = setTimeout(() => {
          l.timer = null;
          this.drain(l);
        }, l.blockedUntil - now);
        return;
      }
      l.queue.shift();
      this.total++;
      l.count++;
      let released = false;
      w.start(() => {
        if (released) return;
        released = true;
        this.total--;
        l.count--;
        this.dropIp(w.ip);
        // A slot freed: the first waiting listener with room goes on.
        for (const other of this.listeners.values()) this.drain(other);
      });
    }
  }

  private recordCreation(l: ListenerState, now: number): number {
    let t = 0;
    if (this.brokerRateBound < UNLIMITED) {
      this.brokerRate.record(1, now);
      t = throttleTimeMs(this.brokerRate, this.brokerRateBound, now);
    }
    if (l.rateBound < UNLIMITED) {
      l.rate.record(1, now);
      t = Math.max(t, throttleTimeMs(l.rate, l.rateBound, now));
    }
    return t;
  }

  private dropIp(ip: string): void {
    const n = (this.byIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.byIp.delete(ip);
    else this.byIp.set(ip, n);
  }
}
