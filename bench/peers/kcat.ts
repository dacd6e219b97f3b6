/**
 * strand as a real client sees it: kcat (librdkafka) produces a prepared file of 100-byte lines
 * to a fresh broker (the same fixture as bench/broker.ts, topic with flush.ms=1000 like the
 * acks=1 row), `-X acks=1 -X linger.ms=5 -X batch.num.messages=10000`. Timed from kcat's start to
 * its exit (it flushes every message before exiting); the broker's end offsets must add up to the
 * record count.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTarget, partitionOffsets } from '../../src/perf/cluster.js';
import { type BenchRow, emitRows } from '../lib.js';
import { PARTITIONS, RECORD_SIZE, RECORDS, bestOf } from './params.js';
import { which } from './procs.js';
import { startStrand } from './strand.js';

const NAME = 'strand via kcat (librdkafka) acks=1, linger.ms=5';
const kcat = which('kcat');
if (kcat === null) {
  emitRows([{ id: 'kcat', group: 'broker', name: NAME, value: 0, unit: ' rec/s', peakRssMiB: NaN, note: 'skipped: kcat is not installed (apt-get install -y kcat)' }]);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'strand-bench-kcat-'));
const rows: BenchRow[] = [];
try {
  // The input: RECORDS lines of RECORD_SIZE random upper-case letters.
  const file = join(dir, 'lines.txt');
  const fd = openSync(file, 'w');
  const line = Buffer.allocUnsafe(RECORD_SIZE + 1);
  const chunk = Buffer.allocUnsafe((RECORD_SIZE + 1) * 10_000);
  for (let written = 0; written < RECORDS;) {
    const n = Math.min(10_000, RECORDS - written);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < RECORD_SIZE; j++) line[j] = 65 + Math.floor(Math.random() * 26);
      line[RECORD_SIZE] = 10;
      line.copy(chunk, i * (RECORD_SIZE + 1));
    }
    writeSync(fd, chunk, 0, n * (RECORD_SIZE + 1));
    written += n;
  }
  closeSync(fd);

  // Best of REPEATS, each against a fresh broker, like the strand perf rows.
  rows.push(await bestOf(async (): Promise<BenchRow> => {
  const data = mkdtempSync(join(dir, 'data-'));
  const broker = await startStrand(data);
  try {
    const target = await openTarget({ bootstrap: broker.address, topic: 'kcat', partitions: PARTITIONS, topicConfigs: { 'flush.ms': '1000' } });
    await target.client.close();
    const args = ['-P', '-b', broker.address, '-t', 'kcat', '-X', 'acks=1', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=1000000', '-X', 'queue.buffering.max.kbytes=1048576'];
    const cpu = broker.cpuSeconds();
    const start = performance.now();
    const input = openSync(file, 'r');
    const child = spawn(kcat, args, { stdio: [input, 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const seconds = (performance.now() - start) / 1000;
    closeSync(input);
    if (code !== 0) throw new Error(`kcat exited with ${code}: ${err.trim().split('\n').slice(-3).join(' / ')}`);
    const check = await openTarget({ bootstrap: broker.address, topic: 'kcat', create: false });
    const offsets = await partitionOffsets(check);
    await check.client.close();
    const stored = [...offsets.values()].reduce((n, o) => n + o.end - o.start, 0);
    if (stored !== RECORDS) throw new Error(`the broker holds ${stored} records, expected ${RECORDS}`);
    return {
      id: 'kcat', group: 'broker', name: NAME, value: RECORDS / seconds, unit: ' rec/s', mbPerSec: (RECORDS * RECORD_SIZE) / seconds / 1e6,
      compareTo: 'produce-1', baseline: '÷ strand perf acks=1', peakRssMiB: broker.peakRssMiB(), serverCpuSeconds: broker.cpuSeconds() - cpu,
      config: `kcat ${args.join(' ')} < ${RECORDS} lines of ${RECORD_SIZE} bytes`,
    };
  } finally {
    await broker.stop();
    rmSync(data, { recursive: true, force: true });
  }
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
emitRows(rows);
