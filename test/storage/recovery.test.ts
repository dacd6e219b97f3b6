import { appendFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { openLog } from '../../src/index.js';
import { logger } from '../../src/logger.js';
import { tmpDir } from '../helpers/tmp.js';

/** Write 50 records over several segments and leave the directory as a crash would (no clean marker). */
async function crashedLog(dir: string) {
  const log = await openLog(dir, { segmentBytes: 1024, indexIntervalBytes: 128 });
  for (let i = 0; i < 50; i++) await log.append([{ key: `k${i}`, value: `value-${i}` }]);
  await log.close();
  rmSync(join(dir, '.kafka_cleanshutdown'));
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  return join(dir, logs.at(-1)!);
}

async function readAll(dir: string) {
  const log = await openLog(dir, { segmentBytes: 1024, indexIntervalBytes: 128 });
  const out: string[] = [];
  for (let o = log.startOffset; o < log.endOffset;) {
    const r = await log.read(o);
    out.push(...r.records.map((x) => x.value!.toString()));
    o = r.nextOffset;
  }
  return { log, values: out };
}

describe('recovery', () => {
  it('truncates garbage appended to the last segment, with a warning naming the file', async () => {
    const dir = tmpDir();
    const last = await crashedLog(dir);
    const size = statSync(last).size;
    const garbage = Buffer.from('this is not a record batch, it is a torn write of some kind......');
    appendFileSync(last, garbage);
    const warn = vi.spyOn(logger, 'warn');
    const { log, values } = await readAll(dir);
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => `value-${i}`));
    expect(warn).toHaveBeenCalledWith(expect.objectContaining({ file: last, droppedBytes: garbage.length }), expect.stringContaining(last));
    warn.mockRestore();
    await log.append([{ value: 'next' }]);
    expect(log.endOffset).toBe(51);
    await log.close();
    expect(statSync(last).size).toBeGreaterThan(size);
  });

  it('drops a batch cut short and keeps everything before it', async () => {
    const dir = tmpDir();
    const last = await crashedLog(dir);
    truncateSync(last, statSync(last).size - 5);
    const { log, values } = await readAll(dir);
    expect(values).toEqual(Array.from({ length: 49 }, (_, i) => `value-${i}`));
    expect(log.endOffset).toBe(49);
    await log.close();
  });

  it('drops a batch with a flipped byte (CRC) and every segment after it', async () => {
    const dir = tmpDir();
    await crashedLog(dir);
    const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
    expect(logs.length).toBeGreaterThan(2);
    // Corrupt the second batch of the second segment.
    const { openSync, readSync, writeSync, closeSync } = await import('node:fs');
    const path = join(dir, logs[1]!);
    const fd = openSync(path, 'r+');
    const head = Buffer.alloc(12);
    readSync(fd, head, 0, 12, 0);
    const second = head.readInt32BE(8) + 12;
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, second + 70);
    byte[0]! ^= 0xff;
    writeSync(fd, byte, 0, 1, second + 70);
    closeSync(fd);
    const firstOffsetOfSecond = Number(logs[1]!.slice(0, 20));
    // As if the crash came before any recovery-point checkpoint: every segment is scanned.
    rmSync(join(dir, 'recovery-point-offset-checkpoint'));
    const { log, values } = await readAll(dir);
    expect(values.length).toBe(firstOffsetOfSecond + 1);
    expect(readdirSync(dir).filter((f) => f.endsWith('.log')).length).toBe(2);
    await log.close();
  });

  it('rebuilds missing or damaged indexes', async () => {
    const dir = tmpDir();
    await crashedLog(dir);
    for (const f of readdirSync(dir)) {
      if (f.endsWith('.index')) rmSync(join(dir, f));
      if (f.endsWith('.timeindex')) writeFileSync(join(dir, f), Buffer.from('garbage'));
    }
    const { log, values } = await readAll(dir);
    expect(values.length).toBe(50);
    expect((await log.read(37)).records[0]!.value!.toString()).toBe('value-37');
    await log.close();
  });

  it('skips the scan after a clean shutdown', async () => {
    const dir = tmpDir();
    const log = await openLog(dir);
    await log.append([{ value: 'a' }]);
    await log.close();
    const warn = vi.spyOn(logger, 'warn');
    const again = await openLog(dir);
    expect(again.endOffset).toBe(1);
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    await again.close();
  });
});
