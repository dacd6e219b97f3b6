/**
 * `kcat -G` (librdkafka's balanced KafkaConsumer of the classic protocol) as a long-running
 * child process, for tests of groups with real clients.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export class BalancedKcat {
  stdout = '';
  stderr = '';
  readonly child: ChildProcess;
  readonly exited: Promise<number | string | null>;

  constructor(bootstrap: string, group: string, topic: string, props: Record<string, string> = {}) {
    const x = Object.entries({ 'session.timeout.ms': '6000', 'auto.offset.reset': 'earliest', 'auto.commit.interval.ms': '200', ...props }).flatMap(([k, v]) => ['-X', `${k}=${v}`]);
    this.child = spawn('kcat', ['-b', bootstrap, '-G', group, '-u', ...x, '-f', '%p %o %s\\n', topic], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.child.on('exit', (code, signal) => r(signal ?? code)));
  }

  /** Consumed messages: partition, offset, value. */
  get messages(): Array<{ partition: number; offset: number; value: string }> {
    return this.stdout.split('\n').filter((l) => l !== '').map((l) => {
      const [p, o, ...v] = l.split(' ');
      return { partition: Number(p), offset: Number(o), value: v.join(' ') };
    });
  }

  /** "% Group g rebalanced (memberid m): assigned: t [0], t [2]" lines. */
  get assignments(): number[][] {
    return [...this.stderr.matchAll(/rebalanced \(memberid [^)]*\): assigned: (.*)/g)].map((m) => [...m[1]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])).sort((a, b) => a - b));
  }

  get assignment(): number[] | undefined {
    const a = this.assignments;
    // A revocation after the last assignment means none.
    const lastAssign = this.stderr.lastIndexOf('assigned:');
    const lastRevoke = this.stderr.lastIndexOf('revoked:');
    return lastRevoke > lastAssign ? undefined : a[a.length - 1];
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
