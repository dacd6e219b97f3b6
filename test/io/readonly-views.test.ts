/**
 * Views are read-only in effect: a write into a Buffer that `read()` or `readSlice()` returned
 * (a view of the mapped segment on the native backend, a copy on the portable one) never
 * reaches the file and never crashes the process.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.js';
import { checkBatch } from '../../src/format/record-batch.js';
import { tmpDir } from '../helpers/tmp.js';

describe('writes into views', () => {
  it('never reach the file: after writing into records[0].value and a readSlice view, the bytes on disk are unchanged and every CRC checks', async () => {
    const dir = tmpDir();
    const log = await openLog(dir);
    await log.append([{ key: Buffer.from('k0'), value: Buffer.from('value-zero') }]);
    await log.append([{ key: Buffer.from('k1'), value: Buffer.from('value-one') }]);
    await log.sync();
    const file = join(dir, '00000000000000000000.log');
    // The native backend preallocates: the data is the first log.size bytes of the file.
    const original = readFileSync(file).subarray(0, log.size);
    expect(original.length).toBe(log.size);

    const { records } = await log.read(0);
    records[0]!.value!.write('XXXXX');
    records[1]!.key!.fill(0);
    const slice = log.readSlice(0, 1 << 20)!;
    slice.view.fill(0xee, 0, 40);

    // Still the active segment: appends after the writes land next to the pages written into.
    await log.append([{ key: Buffer.from('k2'), value: Buffer.from('value-two') }]);
    await log.close();

    const onDisk = readFileSync(file);
    expect(onDisk.subarray(0, original.length).equals(original)).toBe(true);
    let batches = 0;
    for (let pos = 0; pos < onDisk.length; batches++) {
      const size = onDisk.readInt32BE(pos + 8) + 12;
      expect(checkBatch(onDisk, pos, size)).toBeNull();
      pos += size;
    }
    expect(batches).toBe(3);

    const reopened = await openLog(dir);
    const back = await reopened.read(0);
    expect(back.records.map((r) => [r.offset, r.key!.toString(), r.value!.toString()])).toEqual([
      [0, 'k0', 'value-zero'],
      [1, 'k1', 'value-one'],
      [2, 'k2', 'value-two'],
    ]);
    await reopened.close();
  });
});
