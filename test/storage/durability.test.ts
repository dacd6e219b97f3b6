/**
 * What a graceful stop leaves on disk, producer snapshots written off the event loop, indexes
 * that do not fit their log, and the test-only fault switch (STRAND_FAULT_SKIP_FSYNC).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openLog, openStore } from '../../src/index.js';
import { io } from '../../src/io/index.js';
import { bundleScriptSync } from '../helpers/bundle.js';
import { tmpDir } from '../helpers/tmp.js';

const value = Buffer.alloc(100, 7);
const ROLL_CHILD = fileURLToPath(new URL('./fixtures/roll-fsyncs.ts', import.meta.url));

describe('graceful stop', () => {
  it('a closed log leaves its checkpoints and the clean-shutdown marker, written atomically (no temp file left)', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, { flush: 'none' });
    for (let i = 0; i < 3; i++) await log.append([{ value }]);
    log.roll();
    await log.append([{ value }]);
    await log.close();
    const names = readdirSync(dir).sort();
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(names).toContain('.kafka_cleanshutdown');
    expect(readFileSync(join(dir, 'recovery-point-offset-checkpoint'), 'utf8')).toBe('0\n1\nlog 0 4\n');
    expect(readFileSync(join(dir, 'log-start-offset-checkpoint'), 'utf8')).toBe('0\n1\nlog 0 0\n');
    // The snapshots of the roll (offset 3) and of the close (offset 4).
    expect(names.filter((n) => n.endsWith('.snapshot'))).toEqual(['00000000000000000003.snapshot', '00000000000000000004.snapshot']);
  });

  it('the marker is removed, durably, when the directory is opened again', async () => {
    const dir = tmpDir();
    await (await openLog(dir)).close();
    expect(existsSync(join(dir, '.kafka_cleanshutdown'))).toBe(true);
    const log = await openLog(dir);
    expect(existsSync(join(dir, '.kafka_cleanshutdown'))).toBe(false);
    await log.close();
  });
});

describe('producer snapshots', () => {
  it('are written off the event loop: a roll returns before its snapshot exists; sync() waits for it', async () => {
    const dir = tmpDir();
    const log = await openLog(dir);
    await log.append([{ value }, { value }]);
    log.roll();
    expect(existsSync(join(dir, '00000000000000000002.snapshot'))).toBe(false);
    await log.sync();
    expect(existsSync(join(dir, '00000000000000000002.snapshot'))).toBe(true);
    await log.close();
  });

  it('a snapshot still being written when its partition is deleted does not fail the stop (issue 13)', async () => {
    const store = await openStore(tmpDir());
    const log = (await store.partition('doomed', 0, { create: true }))!;
    await log.append([{ value }]);
    log.roll(); // its snapshot is being written
    expect(await store.deletePartition('doomed', 0)).toBe(true);
    await expect(store.close()).resolves.toBeUndefined();
  });
});

describe('indexes that do not fit their log', () => {
  it('are rebuilt on open instead of trusted (Kafka\'s sanity check)', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, { indexIntervalBytes: 0 });
    for (let i = 0; i < 5; i++) await log.append([{ value: Buffer.from(`v${i}`) }]);
    log.roll();
    await log.append([{ value: Buffer.from('v5') }]);
    await log.close();
    // An entry that points past the end of the sealed segment's log, as an index written but not
    // synced before a power cut might read.
    const index = join(dir, '00000000000000000000.index');
    const bogus = Buffer.alloc(8);
    bogus.writeInt32BE(4, 0);
    bogus.writeInt32BE(1 << 20, 4);
    writeFileSync(index, Buffer.concat([readFileSync(index), bogus]));
    const reopened = await openLog(dir, { indexIntervalBytes: 0 });
    const { records } = await reopened.read(3);
    expect(records.map((r) => [r.offset, r.value!.toString()])).toEqual([[3, 'v3'], [4, 'v4']]);
    await reopened.close();
    // Rebuilt: one entry per batch after the first (interval 0), each inside the log.
    const rebuilt = readFileSync(index);
    expect(rebuilt.length).toBe(4 * 8);
    for (let i = 0; i < 4; i++) expect(rebuilt.readInt32BE(i * 8)).toBe(i + 1);
  });
});

describe('STRAND_FAULT_SKIP_FSYNC (test-only)', () => {
  function rollFsyncs(env: Record<string, string>): string {
    // Bundled: `--import tsx` would compile the sources at each of the starts.
    const r = spawnSync(process.execPath, [bundleScriptSync(ROLL_CHILD), tmpDir()], { env: { ...process.env, STRAND_LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    return r.stdout.trim();
  }

  it('each kind skips exactly its fsyncs of a roll: roll the old log file\'s (data and directory), dir both directory fsyncs, index the time index\'s, snapshot the snapshot file\'s', () => {
    // Of 5: the old log file's data and directory entry, its time index, the snapshot file and
    // the directory after its rename (see flush-policy.test.ts).
    const backend = { STRAND_BACKEND: io.name };
    expect(rollFsyncs(backend)).toBe('5');
    expect(rollFsyncs({ ...backend, STRAND_FAULT_SKIP_FSYNC: 'roll' })).toBe('3');
    expect(rollFsyncs({ ...backend, STRAND_FAULT_SKIP_FSYNC: 'dir' })).toBe('3');
    expect(rollFsyncs({ ...backend, STRAND_FAULT_SKIP_FSYNC: 'index' })).toBe('4');
    expect(rollFsyncs({ ...backend, STRAND_FAULT_SKIP_FSYNC: 'snapshot' })).toBe('4');
    expect(rollFsyncs({ ...backend, STRAND_FAULT_SKIP_FSYNC: 'active' })).toBe('5');
  });

  it('refuses a kind it does not know', () => {
    const r = spawnSync(process.execPath, [bundleScriptSync(ROLL_CHILD), tmpDir()], { env: { ...process.env, STRAND_LOG_LEVEL: 'silent', STRAND_FAULT_SKIP_FSYNC: 'everything' }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('STRAND_FAULT_SKIP_FSYNC=everything is not an fsync kind; use one of active, roll, index, dir, snapshot, checkpoint');
  });
});
