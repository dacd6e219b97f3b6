import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog } from '../../src/index.js';
import { tmpDir } from '../helpers/tmp.js';

describe('an unclean open', () => {
  it('learns the leader epochs after the recovery point again without rewriting an unchanged checkpoint', async () => {
    const dir = tmpDir();
    const log = await openLog(dir);
    log.assignLeaderEpoch(3);
    for (let i = 0; i < 10; i++) await log.append([{ value: `value-${i}` }]);
    log.assignLeaderEpoch(5);
    for (let i = 10; i < 15; i++) await log.append([{ value: `value-${i}` }]);
    await log.close();
    // A crash before any recovery-point checkpoint: every batch is recovered and the cache's
    // entries from offset 0 on are learnt again from them.
    rmSync(join(dir, '.kafka_cleanshutdown'));
    rmSync(join(dir, 'recovery-point-offset-checkpoint'));
    const checkpoint = join(dir, 'leader-epoch-checkpoint');
    const content = readFileSync(checkpoint, 'utf8');
    const inode = statSync(checkpoint).ino;

    const again = await openLog(dir);
    expect(again.endOffset).toBe(15);
    expect(again.leaderEpochEntries()).toEqual([{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: 10 }]);
    await again.close(); // waits for any checkpoint write the open started
    // A rewrite (a new file renamed over the old) would have a new inode and cost two fsyncs.
    expect(statSync(checkpoint).ino).toBe(inode);
    expect(readFileSync(checkpoint, 'utf8')).toBe(content);
  });
});
