/**
 * A strand cluster for tests: a real etcd (test/helpers/etcd.ts) and N broker processes on this
 * machine, each with its own data directory, joined with `cluster.etcd`. Brokers can be stopped
 * (SIGTERM), killed (SIGKILL), paused (SIGSTOP) and started again on the same directory.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleScript } from './bundle.js';
import { type BrokerProcess, spawnBroker } from './broker-process.js';
import { EtcdServer } from './etcd.js';
import { tmpDir } from './tmp.js';

const mainSource = fileURLToPath(new URL('../fault/fixtures/broker-main.ts', import.meta.url));

export interface ClusterNode {
  nodeId: number;
  dataDir: string;
  process: BrokerProcess | null;
  bootstrap: string;
}

export class TestCluster {
  private constructor(readonly etcd: EtcdServer, readonly nodes: ClusterNode[], private readonly main: string, private readonly config: Record<string, string>) {}

  /**
   * `size` brokers with node ids 1..size. `config` is added to every broker's settings; short
   * session and lag timeouts by default so that failures are seen quickly.
   */
  static async start(size: number, config: Record<string, string> = {}): Promise<TestCluster> {
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
    });
    for (let i = 1; i <= size; i++) cluster.nodes.push({ nodeId: i, dataDir: tmpDir(`strand-cluster-${i}-`), process: null, bootstrap: '' });
    await Promise.all(cluster.nodes.map((n) => cluster.startNode(n.nodeId)));
    return cluster;
  }

  node(nodeId: number): ClusterNode {
    const n = this.nodes.find((x) => x.nodeId === nodeId);
    if (n === undefined) throw new Error(`no node ${nodeId}`);
    return n;
  }

  /** Bootstrap servers of every running broker, comma-separated. */
  get bootstrap(): string {
    return this.nodes.filter((n) => n.process !== null).map((n) => n.bootstrap).join(',');
  }

  async startNode(nodeId: number, extra: Record<string, string> = {}): Promise<ClusterNode> {
    const n = this.node(nodeId);
    n.process = await spawnBroker(n.dataDir, { main: this.main, env: { STRAND_TEST_BROKER_CONFIG: JSON.stringify({ ...this.config, 'node.id': String(nodeId), ...extra }), STRAND_LOG_LEVEL: process.env.STRAND_TEST_CLUSTER_LOG ?? 'silent' } });
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
    await this.etcd.destroy();
  }
}
