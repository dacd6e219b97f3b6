import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { KafkaClient } from '../../src/client/client.js';
import { partitionForKey } from '../../src/client/partitioner.js';
import { decodeRecords } from '../../src/client/records.js';
import { tmpDir } from '../helpers/tmp.js';
import { runCli, startCli } from './run-cli.js';

describe('strand produce and consume', () => {
  let broker: RunningBroker;
  let b: string[];
  let client: KafkaClient;
  beforeAll(async () => {
    broker = await startBroker({ port: 0, logLevel: 'silent' });
    b = ['--bootstrap', broker.bootstrap];
    client = new KafkaClient({ bootstrap: broker.bootstrap });
  });
  afterAll(async () => {
    await client.close();
    await broker.stop();
  });

  it('takes escapes in --key-separator, as kcat -K does', async () => {
    await client.createTopics([{ name: 'tabs', partitions: 1 }]);
    const produced = await runCli(['produce', 'tabs', '-K', '\\t', ...b], { input: 'k1\thello\nk2\tworld\n' });
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await runCli(['consume', 'tabs', '--from-beginning', '-e', '-F', '%k=%v\\n', ...b]);
    expect(consumed.stdout).toBe('k1=hello\nk2=world\n');
    const bad = await runCli(['produce', 'tabs', '-K', '\\q', ...b], { input: 'x\n' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown escape');
  });

  it('produces lines with keys and headers, and consumes them back with a format string', async () => {
    await client.createTopics([{ name: 'lines', partitions: 1 }]);
    const input = 'k1:hello\nk2:wor:ld\nno key here\n:empty key\n';
    const produced = await runCli(['produce', 'lines', '--key-separator', ':', '--header', 'source=cli', '--header', 'run=1', ...b], { input });
    expect(produced.stderr).toBe('');
    expect(produced.code).toBe(0);
    expect(produced.stdout).toBe('');

    const consumed = await runCli(['consume', 'lines', '--from-beginning', '--exit-at-end', '--format', '%p/%o %k=%v [%h] %K %S\\n', ...b]);
    expect(consumed.stderr).toBe('');
    expect(consumed.code).toBe(0);
    expect(consumed.stdout).toBe([
      '0/0 k1=hello [source=cli,run=1] 2 5',
      '0/1 k2=wor:ld [source=cli,run=1] 2 6',
      '0/2 =no key here [source=cli,run=1] -1 11',
      '0/3 =empty key [source=cli,run=1] 0 9',
      '',
    ].join('\n'));

    const defaults = await runCli(['consume', 'lines', '--offset', '2', '--exit-at-end', ...b]);
    expect(defaults.stdout).toBe('no key here\nempty key\n');
    const lastOne = await runCli(['consume', 'lines', '--offset', '-1', '--exit-at-end', ...b]);
    expect(lastOne.stdout).toBe('empty key\n');
    const timestamps = await runCli(['consume', 'lines', '--from-beginning', '--exit-at-end', '-F', '%t %T\\n', ...b]);
    for (const line of timestamps.stdout.trimEnd().split('\n')) {
      const [t, topic] = line.split(' ');
      expect(Math.abs(Number(t) - Date.now())).toBeLessThan(60_000);
      expect(topic).toBe('lines');
    }
  });

  it('partitions keyed lines like the Java client, and reads every partition', async () => {
    await client.createTopics([{ name: 'keyed', partitions: 4 }]);
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    const produced = await runCli(['produce', 'keyed', '-K', '=', '--verbose', ...b], { input: keys.map((k) => `${k}=v-${k}`).join('\n') + '\n' });
    expect(produced.code).toBe(0);
    expect(produced.stderr).toContain('produced 40 records to keyed');
    for (let p = 0; p < 4; p++) {
      const { records } = decodeRecords((await client.fetch('keyed', p, 0, { maxWaitMs: 0 })).records, 0);
      expect(records.map((r) => r.key!.toString())).toEqual(keys.filter((k) => partitionForKey(k, 4) === p));
    }
    const consumed = await runCli(['consume', 'keyed', '--from-beginning', '--exit-at-end', '-F', '%k\\n', ...b]);
    expect(consumed.stdout.trimEnd().split('\n').sort()).toEqual([...keys].sort());
    const one = await runCli(['consume', 'keyed', '--partition', '2', '--from-beginning', '--exit-at-end', '-F', '%p %k\\n', ...b]);
    expect(one.stdout.trimEnd().split('\n').every((l) => l.startsWith('2 '))).toBe(true);
  });

  it('writes to one partition with --partition, in batches, from a file, and honours --max-messages', async () => {
    await client.createTopics([{ name: 'bulk', partitions: 3 }]);
    const file = join(tmpDir(), 'input.txt');
    const lines = Array.from({ length: 2500 }, (_, i) => `line ${i}`);
    writeFileSync(file, lines.join('\n') + '\n');
    const produced = await runCli(['produce', 'bulk', '--partition', '1', '--file', file, '--batch-size', '1000', '--acks', '1', '--verbose', ...b]);
    expect(produced.code).toBe(0);
    expect(produced.stderr).toContain('produced 1000 records to bulk-1 at offsets 0-999');
    const fetched = await client.fetch('bulk', 1, 0, { maxWaitMs: 0, maxBytes: 10_000_000 });
    expect(fetched.highWatermark).toBe(2500);
    expect(decodeRecords(fetched.records, 0).batches).toBe(3);
    const consumed = await runCli(['consume', 'bulk', '--from-beginning', '--max-messages', '1200', ...b]);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout).toBe(lines.slice(0, 1200).map((l) => l + '\n').join(''));
  });

  it('starts from a time with --from-time', async () => {
    await client.createTopics([{ name: 'timed', partitions: 1 }]);
    const { encodeBatch } = await import('../../src/format/record-batch.js');
    await client.produce('timed', 0, encodeBatch([{ value: 'old', timestamp: Date.parse('2024-01-01T00:00:00Z') }, { value: 'new', timestamp: Date.parse('2024-06-01T00:00:00Z') }]));
    const iso = await runCli(['consume', 'timed', '--from-time', '2024-03-01T00:00:00Z', '--exit-at-end', ...b]);
    expect(iso.stdout).toBe('new\n');
    const ms = await runCli(['consume', 'timed', '--from-time', String(Date.parse('2023-12-01T00:00:00Z')), '--exit-at-end', ...b]);
    expect(ms.stdout).toBe('old\nnew\n');
  });

  it('consumes from the end by default: prints what arrives later, until Ctrl-C', async () => {
    await client.createTopics([{ name: 'live', partitions: 2 }]);
    await runCli(['produce', 'live', ...b], { input: 'before\n' });
    const consumer = startCli(['consume', 'live', '--max-wait-ms', '100', '--verbose', ...b]);
    // Wait until it has found its start offsets, then produce.
    for (let i = 0; i < 200 && !consumer.errors().includes('live-1: starting at offset'); i++) await new Promise((r) => setTimeout(r, 50));
    await runCli(['produce', 'live', ...b], { input: 'after-1\nafter-2\n' });
    for (let i = 0; i < 100 && consumer.output().split('\n').length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    consumer.child.kill('SIGINT');
    const result = await consumer.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('after-1\nafter-2\n');
    expect(result.stderr).toContain('Processed a total of 2 messages');
  });

  it('auto-creates the topic on produce when the broker allows it', async () => {
    const produced = await runCli(['produce', 'brand-new', ...b], { input: 'x\n' });
    expect(produced.code).toBe(0);
    const consumed = await runCli(['consume', 'brand-new', '--from-beginning', '--exit-at-end', ...b]);
    expect(consumed.stdout).toBe('x\n');
  });

  it('consume --exit-at-end on an empty topic exits at once with nothing', async () => {
    await client.createTopics([{ name: 'empty', partitions: 3 }]);
    const r = await runCli(['consume', 'empty', '--from-beginning', '--exit-at-end', ...b]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });
});
