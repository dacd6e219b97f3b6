/**
 * A broker's session: an etcd lease whose TTL is `broker.session.timeout.ms` (rounded up to whole
 * seconds), kept alive every third of the TTL, and the broker's registration `brokers/<node.id>`
 * bound to it. When the lease is lost (etcd unreachable for longer than the TTL, or this process
 * paused past it), etcd has already deleted the registration and any controller key bound to the
 * lease; the session then grants a new lease and registers again, retrying until etcd answers.
 *
 * A node id registered by another live process (another incarnation) is not taken over: the
 * session waits until that registration's lease ends, as KRaft refuses a duplicate registration
 * (DUPLICATE_BROKER_REGISTRATION) until the old session times out. So a broker restarted after a
 * SIGKILL registers once its previous session has expired.
 *
 * Events: `registered(leaseId)` after each (re-)registration, `lost()` when a lease is lost.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Etcd3, IKeyValue, Lease } from 'etcd3';
import { logger } from '../logger.js';
import type { ClusterKeys } from './keys.js';
import { decodeBroker, encodeBroker } from './records.js';
import type { BrokerRegistration } from './types.js';

const RETRY_MS = 200;

export class Session extends EventEmitter {
  private lease: Lease | null = null;
  private closed = false;
  private id: string | null = null;
  private readonly registration: Omit<BrokerRegistration, 'brokerEpoch'>;
  private waitingLogged = false;

  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    registration: Omit<BrokerRegistration, 'brokerEpoch' | 'incarnationId'>,
    readonly ttlSeconds: number,
  ) {
    super();
    this.registration = { ...registration, incarnationId: randomBytes(16).toString('base64url') };
  }

  get incarnationId(): string {
    return this.registration.incarnationId;
  }

  /** The current lease id, null while there is none (between a loss and the next registration). */
  get leaseId(): string | null {
    return this.id;
  }

  /** Resolves once registered the first time. */
  async start(): Promise<void> {
    await this.register();
  }

  private async register(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: true });
      lease.on('lost', (err) => this.onLost(lease, err));
      try {
        const id = await lease.grant();
        while (!(await this.claim(id))) {
          if (this.closed || lease.revoked()) break;
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
        if (lease.revoked()) throw new Error('the lease ended before the registration');
        if (this.closed) {
          await lease.revoke().catch(() => undefined);
          return;
        }
        this.lease = lease;
        this.id = id;
        this.waitingLogged = false;
        this.emit('registered', id);
        return;
      } catch (err) {
        lease.release();
        logger.debug({ err, nodeId: this.registration.nodeId }, 'cluster: registration failed, retrying');
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  /** Writes the registration unless another incarnation holds the node id; this process's own older registration is taken over. */
  private async claim(leaseId: string): Promise<boolean> {
    const key = this.keys.broker(this.registration.nodeId);
    const put = this.client.put(key).value(encodeBroker(this.registration)).lease(leaseId);
    const res = await this.client.if(key, 'Create', '==', 0).then(put).else(this.client.get(key)).commit();
    if (res.succeeded) return true;
    const existing = res.responses[0]?.response_range?.kvs[0] as IKeyValue | undefined;
    if (!existing) return false;
    const holder = decodeBroker(existing);
    if (holder.incarnationId === this.registration.incarnationId) {
      return (await this.client.if(key, 'Mod', '==', Number(existing.mod_revision)).then(this.client.put(key).value(encodeBroker(this.registration)).lease(leaseId)).commit()).succeeded;
    }
    if (!this.waitingLogged) {
      this.waitingLogged = true;
      logger.warn({ nodeId: holder.nodeId, incarnationId: holder.incarnationId }, 'cluster: node.id is registered by another process (DUPLICATE_BROKER_REGISTRATION); waiting for its session to end');
    }
    return false;
  }

  private onLost(lease: Lease, err: Error): void {
    if (this.closed || lease !== this.lease) return;
    logger.warn({ nodeId: this.registration.nodeId, leaseId: this.id, cause: err.name }, 'cluster: session lease expired or unreachable for longer than its TTL, registering again');
    this.lease = null;
    this.id = null;
    this.emit('lost');
    void this.register();
  }

  /** Revokes the lease: the registration (and the controller key, if held) disappear at once. */
  async close(): Promise<void> {
    this.closed = true;
    const lease = this.lease;
    this.lease = null;
    this.id = null;
    if (lease) await lease.revoke().catch(() => lease.release());
  }
}
