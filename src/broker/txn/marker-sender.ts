/**
 * WriteTxnMarkers (27) from a transaction coordinator to the brokers that lead a transaction's
 * partitions (Kafka's TransactionMarkerChannelManager's network side): one connection per broker,
 * over the inter-broker listener, opened on first use and dropped when it fails. The caller
 * (markers.ts) decides what to retry.
 */
import type { Logger } from 'pino';
import { Connection } from '../../client/connection.js';
import { WriteTxnMarkersApi, type WriteTxnMarkersRequest } from '../../protocol/messages/index.js';
import type { BrokerCore } from '../context.js';
import { interBrokerConnectOptions } from '../inter-broker-security.js';

/** request.timeout.ms, Kafka's default: a marker request unanswered this long fails. */
const REQUEST_TIMEOUT_MS = 30_000;

export type WritableMarker = WriteTxnMarkersRequest['markers'][number];

/** Per partition ("topic\0partition"), the error code the leader answered. */
export type MarkerResults = Map<string, number>;

export class MarkerSender {
  private readonly connections = new Map<number, Promise<Connection>>();
  private closed = false;

  constructor(private readonly core: BrokerCore, private readonly logger: Logger) {}

  /** Send one marker to broker `nodeId`; resolves with each partition's error code, rejects when the broker cannot be reached. */
  async send(nodeId: number, marker: WritableMarker): Promise<MarkerResults> {
    const conn = await this.connection(nodeId);
    try {
      const res = await conn.send(WriteTxnMarkersApi, { markers: [marker] });
      const out: MarkerResults = new Map();
      for (const m of res.markers) for (const t of m.topics) for (const p of t.partitions) out.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode);
      return out;
    } catch (err) {
      this.drop(nodeId, conn);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((c) => c.then((x) => x.close()).catch(() => undefined)));
  }

  private connection(nodeId: number): Promise<Connection> {
    const open = this.connections.get(nodeId);
    if (open !== undefined) {
      return open.then((c) => {
        if (!c.closed) return c;
        // Gone (the broker died or timed out a request): a new one.
        if (this.connections.get(nodeId) === open) this.connections.delete(nodeId);
        return this.connection(nodeId);
      });
    }
    if (this.closed) return Promise.reject(new Error('the transaction marker sender is closed'));
    // The inter-broker listener (Kafka's marker channel uses it too).
    const at = this.core.replication.brokers().find((b) => b.nodeId === nodeId);
    if (at === undefined) return Promise.reject(new Error(`broker ${nodeId} is not live`));
    const timeoutMs = Number(this.core.config.raw('request.timeout.ms') ?? REQUEST_TIMEOUT_MS);
    const opening = Connection.connect({ ...interBrokerConnectOptions(this.core.config), host: at.host, port: at.port, clientId: `strand-txn-markers-${this.core.nodeId}`, requestTimeoutMs: timeoutMs + 5_000 });
    this.connections.set(nodeId, opening);
    opening.catch((err: Error) => {
      if (this.connections.get(nodeId) === opening) this.connections.delete(nodeId);
      this.logger.debug({ broker: nodeId, err: err.message }, 'cannot connect to send transaction markers');
    });
    return opening;
  }

  private drop(nodeId: number, conn: Connection): void {
    void this.connections.get(nodeId)?.then((c) => {
      if (c === conn) this.connections.delete(nodeId);
    }, () => undefined);
    void conn.close().catch(() => undefined);
  }
}
