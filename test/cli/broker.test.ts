import { describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/tmp.js';
import { runCli, startCli } from './run-cli.js';

describe('strand broker', () => {
  it('serves clients once it prints its ready line, and stops cleanly on SIGTERM', async () => {
    const dataDir = tmpDir();
    const broker = startCli(['broker', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--override', 'num.partitions=2'], { env: { STRAND_LOG_LEVEL: 'warn' } });
    let port = '';
    for (let i = 0; i < 200 && port === ''; i++) {
      port = /listening on 127\.0\.0\.1:(\d+)/.exec(broker.output())?.[1] ?? '';
      if (port === '') await new Promise((r) => setTimeout(r, 50));
    }
    expect(port).not.toBe('');
    const b = ['--bootstrap', `127.0.0.1:${port}`];
    expect((await runCli(['topics', 'create', 'from-cli', ...b])).code).toBe(0);
    const described = await runCli(['topics', 'describe', 'from-cli', ...b]);
    expect(described.stdout).toContain('PartitionCount: 2');
    broker.child.kill('SIGTERM');
    const result = await broker.done;
    expect(result.code).toBe(0);
    const dump = await runCli(['dump-log', `${dataDir}/from-cli-0`]);
    expect(dump.code).toBe(0);
  });
});
