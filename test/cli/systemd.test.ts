/**
 * Running under systemd (packaging/strand.service): the unit's hardening and limits, a SIGTERM
 * that stops a broker with data cleanly well within the unit's TimeoutStopSec (the clean-shutdown
 * marker written), logs as journald reads them (priority prefixes) and a log file that SIGHUP
 * reopens after logrotate moved it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatLine, logFormat } from '../../src/log-output.js';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/file-names.js';
import { bundleScript } from '../helpers/bundle.js';
import { kcat } from '../helpers/kcat-cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const unitPath = join(ROOT, 'packaging/strand.service');
const unit = readFileSync(unitPath, 'utf8');

/** The [Service] section's settings (the last value of a key wins, as in systemd). */
function serviceSettings(): Map<string, string> {
  const section = unit.split(/^\[/m).find((s) => s.startsWith('Service]'))!;
  const out = new Map<string, string>();
  for (const line of section.split('\n').slice(1)) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m !== null) out.set(m[1]!, m[2]!);
  }
  return out;
}

describe('packaging/strand.service', () => {
  it('runs the broker hardened, with Kafka\'s open-files limit', () => {
    const s = serviceSettings();
    expect(s.get('ExecStart')).toBe('/usr/local/bin/strand broker --config /etc/strand/server.properties');
    expect(Object.fromEntries(['KillSignal', 'LimitNOFILE', 'NoNewPrivileges', 'ProtectSystem', 'ReadWritePaths', 'PrivateTmp', 'ProtectHome', 'PrivateDevices', 'CapabilityBoundingSet'].map((k) => [k, s.get(k)]))).toEqual({
      KillSignal: 'SIGTERM', LimitNOFILE: '100000', NoNewPrivileges: 'yes', ProtectSystem: 'strict', ReadWritePaths: '/var/lib/strand', PrivateTmp: 'yes', ProtectHome: 'yes', PrivateDevices: 'yes', CapabilityBoundingSet: '',
    });
    // The packaged server.properties keeps its data where the unit lets it write.
    expect(readFileSync(join(ROOT, 'packaging/server.properties'), 'utf8')).toMatch(/^log\.dirs=\/var\/lib\/strand\/data$/m);
  });

  it.skipIf(spawnSync('systemd-analyze', ['--version']).status !== 0)('passes systemd-analyze verify, with an exposure below 2.0 of 10', () => {
    const copy = join(tmpDir(), 'strand.service');
    // verify checks that ExecStart's program exists: point it at one that does.
    writeFileSync(copy, unit.replaceAll('/usr/local/bin/strand', '/bin/true'));
    const verify = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
    expect(spawnSync('systemd-analyze', ['security', '--offline=true', '--threshold=20', unitPath]).status).toBe(0);
  });
});

describe('logs', () => {
  it('are journald lines under systemd, plain or JSON when asked', () => {
    expect(logFormat({ JOURNAL_STREAM: '8:12345' })).toBe('journald');
    expect(logFormat({})).toBe('json');
    expect(logFormat({ JOURNAL_STREAM: '8:12345', STRAND_LOG_FILE: '/var/log/strand/broker.log' })).toBe('json');
    expect(logFormat({ JOURNAL_STREAM: '8:12345', STRAND_LOG_FORMAT: 'plain' })).toBe('plain');
    expect(() => logFormat({ STRAND_LOG_FORMAT: 'xml' })).toThrow('STRAND_LOG_FORMAT=xml is not a log format; use json, plain or journald');
    const json = JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), name: 'strand', topic: 'orders', partition: 3, file: '/var/lib/strand/data/orders-3/00000000000000000000.log', msg: 'truncated a torn tail', note: 'two words' });
    expect(formatLine(json, 'journald')).toBe('<4>truncated a torn tail topic=orders partition=3 file=/var/lib/strand/data/orders-3/00000000000000000000.log note="two words"\n');
    expect(formatLine(json, 'plain')).toBe('2026-01-02T03:04:05.006Z WARN  truncated a torn tail topic=orders partition=3 file=/var/lib/strand/data/orders-3/00000000000000000000.log note="two words"\n');
    expect(formatLine(JSON.stringify({ level: 50, msg: 'produce failed', err: { type: 'StorageIOError', message: 'ENOSPC', stack: '...' } }), 'journald')).toBe('<3>produce failed err="StorageIOError: ENOSPC"\n');
  });
});

describe('a broker stopped by SIGTERM', () => {
  it('stops cleanly within TimeoutStopSec, and reopens its log file on SIGHUP', async () => {
    const timeoutStopMs = Number(serviceSettings().get('TimeoutStopSec')) * 1000;
    const dir = tmpDir();
    const dataDir = join(dir, 'data');
    const logFile = join(dir, 'log', 'broker.log');
    const main = await bundleScript(join(ROOT, 'src/cli/main.ts'));
    const broker = spawn(process.execPath, [main, 'broker', '--data-dir', dataDir, '--listen', '127.0.0.1:0'], {
      env: { ...process.env, STRAND_LOG_LEVEL: 'info', STRAND_LOG_FILE: logFile, STRAND_LOG_FORMAT: 'plain' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    broker.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => broker.on('exit', (code) => resolve({ code, at: Date.now() })));
    try {
      const bootstrap = await until('the broker to listen', () => /listening on (127\.0\.0\.1:\d+)/.exec(out)?.[1], 30_000);
      for (const topic of ['a', 'b', 'c']) expect((await kcat(['-P', '-b', bootstrap, '-t', topic], 'one\ntwo\nthree\n')).code).toBe(0);
      expect(readFileSync(logFile, 'utf8')).toMatch(/^\S+ INFO  broker started listeners=/m);
      // logrotate: move the file away, then SIGHUP; the broker writes to a new file of that name.
      renameSync(logFile, `${logFile}.1`);
      broker.kill('SIGHUP');
      await until('the log file to be reopened', () => existsSync(logFile));
    } catch (err) {
      broker.kill('SIGKILL');
      throw err;
    }
    const sent = Date.now();
    broker.kill('SIGTERM');
    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(at - sent).toBeLessThan(timeoutStopMs);
    expect(existsSync(join(dataDir, CLEAN_SHUTDOWN_FILE))).toBe(true);
    const after = readFileSync(logFile, 'utf8').trimEnd().split('\n').map((l) => l.replace(/^\S+ /, ''));
    expect(after).toEqual(['INFO  shutting down signal=SIGTERM', `INFO  broker stopped cleanly dataDir=${dataDir}`]);
    expect(readFileSync(`${logFile}.1`, 'utf8')).not.toContain('shutting down');
  });
});
