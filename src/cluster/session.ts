/**
 * A broker's session: an etcd lease whose TTL is `broker.session.timeout.ms` (rounded up to whole
 * seconds), kept alive every third of the TTL, and the broker's registration `brokers/<node.id>`
 * bound to it. When the lease is lost (etcd unreachable for longer than the TTL, or this process
 * paused past it), etcd has already deleted the registration and any controller key bound to the
 * lease; the session then grants a new lease and registers again, retrying until etcd answers.
 *
 * Events: `registered(leaseId)` after each (re-)registration, `lost()` when a lease is lost.
 */
import { EventEmitter } from 'node:events';
import type { Etcd3, Lease } from 'etcd3';
import { logger } from '../logger.js';
import type { ClusterKeys } from './keys.js';
import { encodeBroker } from './records.js';
import type { BrokerRegistration } from './types.js';

const RETRY_MS = 200;

export class Session extends EventEmitter {
  private lease: Lease | null = null;
  private closed = false;
  private id: string | null = null;

  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    private readonly registration: Omit<BrokerRegistration, 'brokerEpoch'>,
    readonly ttlSeconds: number,
  ) {
    super();
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
        // A plain put: a registration left by this node's previous process (not yet expired) is
        // taken over, as KRaft accepts a re-registering broker with a new incarnation.
        await lease.put(this.keys.broker(this.registration.nodeId)).value(encodeBroker(this.registration)).exec();
        if (this.closed) {
          await lease.revoke().catch(() => undefined);
          return;
        }
        this.lease = lease;
        this.id = id;
        this.emit('registered', id);
        return;
      } catch (err) {
        lease.release();
        logger.debug({ err, nodeId: this.registration.nodeId }, 'cluster: registration failed, retrying');
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  private onLost(lease: Lease, err: Error): void {
    if (this.closed || lease !== this.lease) return;
    logger.warn({ nodeId: this.registration.nodeId, err: err.message }, 'cluster: session lease lost, registering again');
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
