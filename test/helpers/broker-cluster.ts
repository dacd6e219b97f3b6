/**
 * A strand cluster for tests: a real etcd (test/helpers/etcd.ts) and N broker processes on this
 * machine, each with its own data directory, joined with `cluster.etcd`. Brokers can be stopped
 * (SIGTERM), killed (SIGKILL), paused (SIGSTOP) and started again on the same directory.
 *
 * Each broker has a second listener, REPLICATION, for the traffic between brokers, and
 * advertises it behind a TCP proxy of the test: `isolate(n)` cuts every replica connection to
 * broker n (a network partition between it and the other brokers), while clients still reach
 * it on its PLAINTEXT listener. Each broker also reaches etcd through a proxy of its own:
 * `cutFromEtcd(n)` loses broker n's etcd session while everything else goes on.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleScript } from './bundle.js';
import { type BrokerProcess, spawnBroker } from './broker-process.js';
import { metadataOf, type PartitionState, partitionStates } from './cluster-metadata.js';
import { EtcdServer, freePort, restartablePort } from './etcd.js';
import { kafkajs } from './kafkajs.js';
import { tmpDir } from './tmp.js';
import { until } from './until.js';

const mainSource = fileURLToPath(new URL('../fault/fixtures/broker-main.ts', import.meta.url));

export interface ClusterNode {
  nodeId: number;
  dataDir: string;
  process: BrokerProcess | null;
  bootstrap: string;
  /** The broker's client listener: the same port across restarts, as a real broker keeps its address. */
  port: number;
  /** The broker's REPLICATION listener, and the proxy in front of it that other brokers are told about. */
  replicationPort: number;
  proxy: TcpProxy;
  /** The proxy this broker reaches etcd through. */
  etcdProxy: TcpProxy;
}

/** A TCP proxy to one port that can refuse and cut its connections. */
class TcpProxy {
  private readonly sockets = new Set<Socket>();
  cut = false;

  private constructor(readonly server: Server, readonly port: number) {}

  static async start(target: number): Promise<TcpProxy> {
    const port = await freePort();
    const server = createServer();
    const proxy = new TcpProxy(server, port);
    server.on('connection', (client) => {
      if (proxy.cut) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: '127.0.0.1', port: target });
      for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
        proxy.sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          proxy.sockets.delete(a);
          b.destroy();
        });
        a.pipe(b);
      }
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return proxy;
  }

  isolate(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }

  heal(): void {
    this.cut = false;
  }

  close(): void {
    this.isolate();
    this.server.close();
  }
}

export class TestCluster {
  private constructor(readonly etcd: EtcdServer, readonly nodes: ClusterNode[], private readonly main: string, private readonly config: Record<string, string>, private readonly nodeConfig: (nodeId: number) => Record<string, string>, private readonly replicationProtocol: string) {}

  /**
   * `size` brokers with node ids 1..size. `config` is added to every broker's settings; short
   * session and lag timeouts by default so that failures are seen quickly.
   */
  /** `nodeConfig` adds settings of one broker (e.g. its `broker.rack`), kept across its restarts. */
  /**
   * `options.replicationProtocol`: the security protocol of the REPLICATION (inter-broker)
   * listener, default PLAINTEXT; its settings (`listener.name.replication.ssl.*`, SASL) go in `config`.
   */
  static async start(size: number, config: Record<string, string> = {}, nodeConfig: (nodeId: number) => Record<string, string> = () => ({}), options: { replicationProtocol?: 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' } = {}): Promise<TestCluster> {
    const etcd = await EtcdServer.start();
    const main = await bundleScript(mainSource);
    const cluster = new TestCluster(etcd, [], main, {
      'cluster.etcd': `etcd://${etcd.endpoint}`,
      'cluster.id': 'test-cluster',
      'broker.session.timeout.ms': '3000',
      'replica.lag.time.max.ms': '3000',
      'replica.fetch.backoff.ms': '100',
      'group.initial.rebalance.delay.ms': '0',
      ...config,
    }, nodeConfig, options.replicationProtocol ?? 'PLAINTEXT');
    for (let i = 1; i <= size; i++) {
      const replicationPort = await restartablePort();
      cluster.nodes.push({
        nodeId: i, dataDir: tmpDir(`strand-cluster-${i}-`), process: null, bootstrap: '', port: await restartablePort(), replicationPort,
        proxy: await TcpProxy.start(replicationPort), etcdProxy: await TcpProxy.start(etcd.clientPort),
      });
    }
    await Promise.all(cluster.nodes.map((n) => cluster.startNode(n.nodeId)));
    // A broker registers in etcd after its listeners are bound, and the others learn of it
    // through their watch: until every broker lists every other, a topic with replication
    // factor `size` is refused (INVALID_REPLICATION_FACTOR), as Kafka refuses it.
    await until('every broker to see all the others and a controller', async () => {
      for (const n of cluster.nodes) {
        const m = await metadataOf(n.bootstrap, []);
        if (m.brokers.length !== size || (m.controllerId ?? -1) < 0) return false;
      }
      return true;
    }, 30_000);
    return cluster;
  }

  /**
   * Creates `topic` through kafkajs (replication factor 3 unless `configs` or `replicationFactor`
   * says otherwise) and waits until a live broker lists every partition with all its replicas
   * in the ISR; returns the partitions as that broker has them.
   */
  async createTopic(topic: string, options: { partitions?: number; replicationFactor?: number; configs?: Record<string, string> } = {}): Promise<PartitionState[]> {
    const partitions = options.partitions ?? 1;
    const replicationFactor = options.replicationFactor ?? 3;
    const admin = kafkajs(this.bootstrap).admin();
    await admin.connect();
    try {
      const configEntries = Object.entries(options.configs ?? {}).map(([name, value]) => ({ name, value }));
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor, configEntries }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const asked = this.nodes.find((n) => n.process !== null)!;
    return until(`${topic}: ${partitions} partition(s) with all ${replicationFactor} replicas in the ISR`, async () => {
      const ps = await partitionStates(asked.bootstrap, topic);
      return ps.length === partitions && ps.every((p) => p.isr.length === replicationFactor) ? ps : undefined;
    }, 30_000);
  }

  node(nodeId: number): ClusterNode {
    const n = this.nodes.find((x) => x.nodeId === nodeId);
    if (n === undefined) throw new Error(`no node ${nodeId}`);
    return n;
  }

  /** Bootstrap servers of every broker (running or not: each keeps its address), comma-separated. */
  get bootstrap(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  async startNode(nodeId: number, extra: Record<string, string> = {}): Promise<ClusterNode> {
    const n = this.node(nodeId);
    const listeners = {
      'listeners': `PLAINTEXT://127.0.0.1:${n.port},REPLICATION://127.0.0.1:${n.replicationPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${n.port},REPLICATION://127.0.0.1:${n.proxy.port}`,
      'listener.security.protocol.map': `PLAINTEXT:PLAINTEXT,REPLICATION:${this.replicationProtocol}`,
      'inter.broker.listener.name': 'REPLICATION',
    };
    const config = { ...this.config, ...listeners, 'cluster.etcd': `etcd://127.0.0.1:${n.etcdProxy.port}`, 'node.id': String(nodeId), ...this.nodeConfig(nodeId), ...extra };
    n.process = await spawnBroker(n.dataDir, { main: this.main, env: { STRAND_TEST_BROKER_CONFIG: JSON.stringify(config), STRAND_LOG_LEVEL: process.env.STRAND_TEST_CLUSTER_LOG ?? 'silent' } });
    n.bootstrap = n.process.bootstrap;
    return n;
  }

  /** SIGTERM (graceful) and wait for the exit. */
  async stopNode(nodeId: number): Promise<void> {
    const n = this.node(nodeId);
    const p = n.process;
    if (p === null) return;
    n.process = null;
    p.child.kill('SIGCONT');
    p.child.kill('SIGTERM');
    const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
    await p.exited;
    clearTimeout(timer);
  }

  async killNode(nodeId: number): Promise<void> {
    const n = this.node(nodeId);
    const p = n.process;
    if (p === null) return;
    n.process = null;
    p.child.kill('SIGKILL');
    await p.exited;
  }

  /** Cut broker `nodeId` off from the other brokers (its replication connections), not from clients. */
  isolate(nodeId: number): void {
    this.node(nodeId).proxy.isolate();
  }

  heal(nodeId: number): void {
    this.node(nodeId).proxy.heal();
  }

  /** Cut broker `nodeId`'s connections to etcd (its session expires after the session timeout). */
  cutFromEtcd(nodeId: number): void {
    this.node(nodeId).etcdProxy.isolate();
  }

  reconnectToEtcd(nodeId: number): void {
    this.node(nodeId).etcdProxy.heal();
  }

  pauseNode(nodeId: number): void {
    this.node(nodeId).process?.child.kill('SIGSTOP');
  }

  resumeNode(nodeId: number): void {
    this.node(nodeId).process?.child.kill('SIGCONT');
  }

  /** The `.log` segment files of `topic`-`partition` on node `nodeId`, concatenated in offset order. */
  segmentBytes(nodeId: number, topic: string, partition: number): Buffer {
    const dir = join(this.node(nodeId).dataDir, `${topic}-${partition}`);
    const files = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    return Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
  }

  /** Bytes of `topic`-`partition`'s segment files on node `nodeId` (0 when it has none). */
  segmentSize(nodeId: number, topic: string, partition: number): number {
    const dir = join(this.node(nodeId).dataDir, `${topic}-${partition}`);
    try {
      return readdirSync(dir).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    } catch {
      return 0;
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.killNode(n.nodeId)));
    for (const n of this.nodes) {
      n.proxy.close();
      n.etcdProxy.close();
    }
    await this.etcd.destroy();
  }
}
