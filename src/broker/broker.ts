/**
 * A running broker: the data directory (Store), the topics, the API table, and one TCP server
 * per listener. `stop()` is graceful: stop accepting, stop reading, answer what is in flight,
 * flush and close the logs, write the clean-shutdown marker.
 */
import type { Server, Socket } from 'node:net';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { logger as rootLogger } from '../logger.js';
import { createListenerServer, type PreparedSecurity, prepareSecurity } from '../security/index.js';
import { ConnectionQuotas } from '../security/quotas/index.js';
import { clientQuotasOf } from './handlers/quotas/state.js';
import { RequestMemory } from '../security/limits/request-memory.js';
import { ResponseMemory } from '../security/limits/response-memory.js';
import { ApiKey } from '../protocol/messages/index.js';
import { Store } from '../storage/store.js';
import type { BrokerConfig } from './config.js';
import { Connection } from './connection.js';
import type { BrokerCore, Topics } from './context.js';
import { createDispatcher } from './dispatch.js';
import { loadDynamicConfigs } from './dynamic-config.js';
import { FetchSessionCache } from './fetch-sessions.js';
import { startGroupCoordinator, stopGroupCoordinator } from './groups/index.js';
import { ADMIN_HANDLERS } from './handlers/admin.js';
import { handleApiVersions } from './handlers/api-versions.js';
import { createFetchHandler } from './handlers/fetch.js';
import { GROUP_HANDLERS } from './handlers/groups.js';
import { handleListOffsets } from './handlers/list-offsets.js';
import { handleMetadata } from './handlers/metadata.js';
import { handleProduce } from './handlers/produce.js';
import { TXN_HANDLERS } from './handlers/txn.js';
import { SECURITY_HANDLERS } from './handlers/security/index.js';
import { saslGate } from './handlers/security/sasl-gate.js';
import { setScramCredentials } from './handlers/security/state.js';
import { openAclManager } from './handlers/security/authorizer-setup.js';
import { aclManagerOf } from './handlers/security/enforce/guard.js';
import { installAuthorizer } from './handlers/security/enforce/index.js';
import { authorizerPolicy } from '../security/acl/index.js';
import { ApiRegistry } from './handlers/registry.js';
import { TopicManager } from './topics.js';
import { startTransactionCoordinator, stopTransactionCoordinator } from './txn/index.js';
import { AppendWaiters } from './waiters.js';
import type { Replication } from '../cluster/replication/types.js';
// The cluster layer (etcd's client, gRPC) is imported only by a broker with cluster.etcd set.
import type { ClusterLink } from './cluster-link.js';
import { clusterEndpoints, clusterIdOf } from './cluster-settings.js';
import type { ClusterMember } from '../cluster/member.js';
import { SingleNodeReplication } from './single-node-replication.js';
import type { AdminHttp } from '../http/server.js';
import { BrokerStats } from './stats.js';

export class Broker implements BrokerCore {
  readonly nodeId: number;
  readonly logger: Logger;
  /** Who leads what: the cluster's replica manager, or a single broker's own. */
  readonly replication: Replication;
  readonly producerIdBlocks: ((size: number) => Promise<number>) | null;
  readonly stats = new BrokerStats();
  /** Response bytes held across the client connections (queued.max.response.bytes); `peak` is the most since start. */
  readonly responseMemory: ResponseMemory;
  advertisedHost = '127.0.0.1';
  advertisedPort = 0;
  private readonly registry = new ApiRegistry();
  private readonly waiters = new AppendWaiters();
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  /** max.connections, max.connections.per.ip, max.connection.creation.rate (set when listening). */
  private connectionQuotas: ConnectionQuotas | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<void> | null = null;
  private readonly listenerClosers: Array<() => void> = [];
  private readonly endpoints: Array<{ name: string; securityProtocol: string; host: string; port: number; listening: string }> = [];
  /** The admin HTTP listener (`http.listeners`), started before recovery so `/ready` can say 503 meanwhile. */
  private admin: AdminHttp | null = null;
  private unshareSecurityState: () => Promise<void> = async () => {};

  private constructor(readonly config: BrokerConfig, readonly store: Store, readonly topics: TopicManager, logger: Logger, private readonly cluster: ClusterLink | null) {
    this.nodeId = config.nodeId;
    this.responseMemory = new ResponseMemory(config.int('queued.max.response.bytes'));
    this.producerIdBlocks = cluster === null ? null : (size) => cluster.allocateProducerIds(size);
    this.replication = cluster?.replication ?? new SingleNodeReplication(() => ({ nodeId: this.nodeId, host: this.advertisedHost, port: this.advertisedPort, rack: config.raw('broker.rack') ?? null }));
    this.logger = logger;
    const fetchSessions = new FetchSessionCache();
    this.registry.register(ApiKey.ApiVersions, handleApiVersions);
    this.registry.register(ApiKey.Metadata, handleMetadata);
    // Every version: v0-2 message sets are up-converted to v2 batches (and librdkafka only
    // compresses with gzip, snappy or lz4 against a broker that lists Produce v0).
    this.registry.register(ApiKey.Produce, handleProduce);
    this.registry.register(ApiKey.Fetch, createFetchHandler(fetchSessions), { min: 4 });
    this.registry.register(ApiKey.ListOffsets, handleListOffsets);
    for (const [key, handler] of Object.entries(ADMIN_HANDLERS)) this.registry.register(Number(key), handler);
    for (const [key, handler] of Object.entries(GROUP_HANDLERS)) this.registry.register(Number(key), handler);
    for (const [key, handler] of Object.entries(TXN_HANDLERS)) this.registry.register(Number(key), handler);
    for (const [key, handler] of Object.entries(SECURITY_HANDLERS)) this.registry.register(Number(key), handler);
  }

  get clusterId(): string {
    return this.topics.clusterId;
  }

  /** Open the data directory and start listening. */
  static async start(config: BrokerConfig, logger: Logger = rootLogger): Promise<Broker> {
    loadDynamicConfigs(config); // AlterConfigs' broker settings of the last run, over the static ones
    const aclPolicy = authorizerPolicy(config); // authorizer.class.name, super.users: checked before anything is opened
    const security = prepareSecurity(config, config.dataDir); // fails closed before anything is opened or bound
    // Before the data directory is opened: a cluster setting it cannot honour stops the start here.
    const started: { broker?: Broker } = {};
    let cluster: ClusterLink | null;
    try {
      cluster = clusterEndpoints(config) === null ? null : new (await import('./cluster-link.js')).ClusterLink(config, logger, (t, p) => started.broker?.notifyAppend(t, p));
    } catch (err) {
      for (const l of security.listeners) l.sasl?.close(); // their key set watchers
      throw err;
    }
    // Loaded only when configured: the HTTP layer sits above the broker and costs nothing otherwise.
    const admin = (config.raw('http.listeners') ?? '').trim() === '' ? null : await (await import('../http/server.js')).startAdminHttp(config, logger);
    let store: Store;
    let topics: TopicManager;
    try {
      store = await Store.open(config.dataDir, {
        defaults: config.logDefaults(),
        checkpointIntervalMs: config.int('log.flush.offset.checkpoint.interval.ms'),
        cleaner: config.bool('log.cleaner.enable') && { backoffMs: config.int('log.cleaner.backoff.ms') },
      });
    } catch (err) {
      await admin?.close();
      throw err;
    }
    try {
      topics = await TopicManager.open(store, config, logger, cluster ? { authority: cluster, clusterId: clusterIdOf(config) } : {});
      cluster?.bind(topics);
    } catch (err) {
      await store.close();
      await admin?.close();
      throw err;
    }
    const broker = new Broker(config, store, topics, logger, cluster);
    started.broker = broker;
    broker.admin = admin;
    try {
      const acls = await openAclManager(aclPolicy, config, logger);
      if (acls !== null) installAuthorizer(broker, broker.registry, acls);
      // In a cluster, SCRAM users and client quotas are the cluster's (shared in etcd).
      if (cluster !== null) broker.unshareSecurityState = await (await import('./cluster-state/security.js')).shareSecurityState(config, logger, security.credentials, clientQuotasOf(broker).configs);
      await startGroupCoordinator(broker); // loads __consumer_offsets before clients connect
      await startTransactionCoordinator(broker); // loads __transaction_state, completes decided transactions
      await broker.listen(security);
      // Registered with the addresses as bound (port 0 resolved), so other brokers can fetch from it.
      await cluster?.join(broker.listenerEndpoints().map((e) => ({ name: e.name, host: e.host, port: e.port })));
    } catch (err) {
      await broker.stop();
      throw err;
    }
    admin?.attach(broker);
    const every = config.int('log.retention.check.interval.ms');
    broker.retentionTimer = setInterval(() => broker.applyRetention(), every);
    broker.retentionTimer.unref();
    logger.info({ listeners: broker.addresses(), dataDir: config.dataDir, nodeId: broker.nodeId, clusterId: broker.clusterId }, 'broker started');
    return broker;
  }

  apiVersions() {
    return this.registry.versions();
  }

  notifyAppend(topic: string, partition: number): void {
    this.waiters.notify(topic, partition);
  }

  waitForAppend(partitions: ReadonlyArray<{ topic: string; partition: number }>, ms: number): Promise<boolean> {
    return this.waiters.wait(partitions, ms);
  }

  /** `host:port` of each listener as bound (port 0 resolved). */
  addresses(): string[] {
    return this.servers.map((s) => {
      const a = s.address();
      return a !== null && typeof a === 'object' ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : String(a);
    });
  }

  /** Graceful stop; safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private applyRetention(): void {
    try {
      const deleted = this.store.applyRetention();
      if (deleted > 0) this.logger.info({ segments: deleted }, 'retention deleted segments');
    } catch (err) {
      this.logger.error({ err }, 'retention failed');
    }
  }

  /**
   * One server per listener, each connection knowing its listener and security protocol (SASL
   * listeners answer through the SASL gate first). A client is told the address of the listener
   * it connected to (Kafka answers Metadata with the endpoints of the request's listener:
   * RequestContext.endpoint). `advertisedHost`/`advertisedPort` are the first listener's.
   */
  private async listen(security: PreparedSecurity): Promise<void> {
    setScramCredentials(this, security.credentials);
    const limits = {
      maxFrameBytes: this.config.int('socket.request.max.bytes'),
      maxQueuedRequests: this.config.int('queued.max.requests'),
      maxQueuedBytes: this.config.int('queued.max.request.bytes.per.connection'),
      memory: new RequestMemory(this.config.int('queued.max.request.bytes')),
      maxQueuedResponseBytes: this.config.int('queued.max.response.bytes.per.connection'),
      responses: this.responseMemory,
      idleMs: this.config.int('connections.max.idle.ms'),
    };
    const clientQuotas = clientQuotasOf(this);
    const connectionQuotas = new ConnectionQuotas(this.config, { samples: this.config.int('quota.window.num'), windowMs: this.config.int('quota.window.size.seconds') * 1000 }, this.logger, (ip) => clientQuotas.ipConnectionRate(ip));
    this.connectionQuotas = connectionQuotas;
    for (const prepared of security.listeners) {
      const l = prepared.spec;
      const first = this.servers.length === 0;
      const endpoint = { host: '', port: 0 };
      const plain = createDispatcher(this, this.registry, endpoint);
      const dispatch = prepared.sasl === null ? plain : saslGate(plain, this.registry, this.logger);
      const { server, close } = createListenerServer(prepared, this.logger, (socket: Socket, auth, tls) => {
        if (this.stopping !== null) {
          socket.destroy();
          return;
        }
        connectionQuotas.admit(l.name, socket, (release) => {
          const conn = new Connection(socket, limits, dispatch, this.logger, (c) => { this.connections.delete(c); release(); }, auth, tls, this.stats.requests);
          this.connections.add(conn);
          this.stats.connectionsAccepted++;
        });
      });
      this.listenerClosers.push(close);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(l.port, l.host === '' ? undefined : l.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.logger.error({ err }, 'listener error'));
      this.servers.push(server);
      const bound = server.address();
      const boundPort = bound !== null && typeof bound === 'object' ? bound.port : l.port;
      const adv = l.advertised ?? { host: l.host, port: l.port };
      const host = adv.host === '' || adv.host === '0.0.0.0' || adv.host === '::' ? hostname() : adv.host;
      const port = adv.port === 0 || l.advertised === null ? boundPort : adv.port;
      endpoint.host = host;
      endpoint.port = port;
      this.endpoints.push({ name: l.name, securityProtocol: l.securityProtocol, host, port, listening: this.addresses().at(-1)! });
      if (first) {
        this.advertisedHost = host;
        this.advertisedPort = port;
      }
    }
  }

  /** Client connections open now. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** `http://host:port` of each admin HTTP listener as bound (none without `http.listeners`). */
  httpAddresses(): string[] {
    return this.admin?.addresses() ?? [];
  }

  /** Each listener: name, security protocol, the address it advertises and the one it is bound to. */
  listenerEndpoints(): ReadonlyArray<{ name: string; securityProtocol: string; host: string; port: number; listening: string }> {
    return this.endpoints;
  }

  /** The cluster membership for the operator's requests (ElectLeaders, reassignments); null on a single broker. */
  get clusterAdmin(): ClusterMember | null {
    return this.cluster?.admin ?? null;
  }

  private async doStop(): Promise<void> {
    // Controlled shutdown first, while this broker still serves: clients move to the new leaders.
    this.admin?.draining(); // /ready 503 from here on
    await this.cluster?.controlledShutdown();
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    for (const s of this.servers) s.close();
    for (const close of this.listenerClosers) close();
    this.connectionQuotas?.close();
    for (const c of this.connections) c.stopReading();
    // Long polls end now; what is in flight is answered.
    this.waiters.close();
    stopGroupCoordinator(this); // parked JoinGroup/SyncGroup get NOT_COORDINATOR
    const deadline = Date.now() + 10_000;
    await Promise.race([Promise.all([...this.connections].map((c) => c.drained())), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
    for (const c of [...this.connections]) c.close();
    await this.cluster?.close(); // fetchers stop before the logs close; the registration goes at once
    await stopTransactionCoordinator(this); // timeout aborts in progress finish before the logs close
    await this.topics.close();
    await aclManagerOf(this)?.close();
    await this.unshareSecurityState();
    await this.store.close();
    await this.admin?.close();
    this.logger.info({ dataDir: this.config.dataDir }, 'broker stopped cleanly');
  }
}

export type { Topics };
