import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.js';
import { tmpDir } from '../helpers/tmp.js';
import { runCli } from './run-cli.js';

const SEGMENT = '00000000000000000000.log';

async function writeLog(dir: string): Promise<void> {
  const log = await openLog(dir);
  await log.append([
    { key: 'k1', value: 'hello', headers: [{ key: 'source', value: 'test' }], timestamp: 1_700_000_000_000 },
    { key: null, value: 'world', timestamp: 1_700_000_000_001 },
  ]);
  await log.append([{ key: 'k3', value: 'third', timestamp: 1_700_000_000_002 }]);
  await log.close();
}

describe('strand dump-log', () => {
  it('prints every batch of a partition directory, and its records with --print-records', async () => {
    const dir = tmpDir();
    await writeLog(dir);
    const r = await runCli(['dump-log', dir, '--print-records']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`Dumping ${join(dir, SEGMENT)}`);
    expect(lines[1]).toBe('Log starting offset: 0');
    expect(lines[2]).toMatch(/^baseOffset: 0 lastOffset: 1 count: 2 .* position: 0 baseTimestamp: 1700000000000 CreateTime: 1700000000001 size: (\d+) magic: 2 compresscodec: none crc: \d+ crcValid: true$/);
    expect(lines[3]).toBe('| offset: 0 CreateTime: 1700000000000 keySize: 2 valueSize: 5 sequence: -1 headers: [source=test] key: k1 payload: hello');
    expect(lines[4]).toBe('| offset: 1 CreateTime: 1700000000001 keySize: -1 valueSize: 5 sequence: -1 headers: [] key: null payload: world');
    const firstSize = Number(/size: (\d+)/.exec(lines[2]!)![1]);
    expect(lines[5]).toMatch(new RegExp(`^baseOffset: 2 lastOffset: 2 count: 1 .* position: ${firstSize} .* crcValid: true$`));
    expect(lines[6]).toContain('| offset: 2 ');
    expect(lines[6]).toContain('key: k3 payload: third');
    expect(lines).toHaveLength(7);
  });

  it('prints batch headers only without --print-records, for a single segment file', async () => {
    const dir = tmpDir();
    await writeLog(dir);
    const r = await runCli(['dump-log', join(dir, SEGMENT)]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('| offset');
    expect(r.stdout.match(/^baseOffset:/gm)).toHaveLength(2);
  });

  it('reports a batch whose CRC does not match, and exits 1', async () => {
    const dir = tmpDir();
    await writeLog(dir);
    const path = join(dir, SEGMENT);
    const bytes = readFileSync(path);
    bytes[bytes.length - 3] ^= 0xff; // inside the last record of the second batch
    writeFileSync(path, bytes);
    const r = await runCli(['dump-log', path, '--print-records']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/baseOffset: 0 .*crcValid: true/);
    expect(r.stdout).toMatch(/baseOffset: 2 .*crcValid: false/);
    expect(r.stdout).toContain('invalid batch: CRC-32C mismatch');
  });

  it('reports a torn tail as invalid bytes, and exits 1', async () => {
    const dir = tmpDir();
    await writeLog(dir);
    const path = join(dir, SEGMENT);
    const size = readFileSync(path).length;
    appendFileSync(path, readFileSync(path).subarray(0, 30)); // a batch cut short
    const r = await runCli(['dump-log', path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Found 30 invalid bytes at position ${size}`);
    expect(r.stdout).toContain('torn write');
  });

  it('treats a zero-filled tail as preallocated space', async () => {
    const dir = tmpDir();
    await writeLog(dir);
    const path = join(dir, SEGMENT);
    const size = readFileSync(path).length;
    appendFileSync(path, Buffer.alloc(4096));
    const r = await runCli(['dump-log', path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`4096 bytes of zeros (preallocated, unused space) from position ${size}`);
  });

  it('dumps the offset and time indexes', async () => {
    const dir = tmpDir();
    const log = await openLog(dir, { indexIntervalBytes: 1 });
    await log.append([{ value: 'a', timestamp: 1000 }]);
    await log.append([{ value: 'b', timestamp: 2000 }]);
    await log.append([{ value: 'c', timestamp: 3000 }]);
    await log.close();
    const index = await runCli(['dump-log', join(dir, '00000000000000000000.index')]);
    expect(index.code).toBe(0);
    expect(index.stdout).toMatch(/^offset: 1 position: [1-9]\d*$/m);
    expect(index.stdout).toMatch(/^offset: 2 position: [1-9]\d*$/m);
    const time = await runCli(['dump-log', join(dir, '00000000000000000000.timeindex')]);
    expect(time.code).toBe(0);
    expect(time.stdout).toMatch(/^timestamp: 3000 offset: 2$/m);
  });

  it('exits 2 with a hint for a path that does not exist or is not a segment', async () => {
    const missing = await runCli(['dump-log', '/nonexistent/strand-x-0']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent/strand-x-0 does not exist');
    expect(missing.stderr).toContain('--help');
    const empty = await runCli(['dump-log', tmpDir()]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('holds no segment files');
  });
});
