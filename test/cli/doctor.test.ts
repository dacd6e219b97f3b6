/**
 * `strand doctor` on real directories and limits: a healthy data directory, a read-only mount,
 * a full file system (a 1 MiB tmpfs, filled), a port already taken, too few file descriptors
 * (the CLI started under prlimit) and kernel settings read from a /proc/sys-shaped directory.
 * The mounts need root with CAP_SYS_ADMIN (as the power-cut tests do); without it, the read-only
 * case uses a directory without write permission and the full one is skipped, saying why.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { diagnose, render } from '../../src/cli/commands/doctor.js';
import { checkKernel, checkOpenFiles, openFilesLimit } from '../../src/cli/commands/doctor-checks.js';
import { bundleScript } from '../helpers/bundle.js';
import { tmpDir } from '../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const mounted: string[] = [];

function tryMount(dir: string, options: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    mounted.push(dir);
    return true;
  } catch {
    return false;
  }
}
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const dir = tmpDir('strand-doctor-probe-');
  const ok = tryMount(dir, 'size=64k');
  if (ok) execFileSync('umount', [mounted.pop()!]);
  return ok;
})();

afterEach(() => {
  for (const dir of mounted.splice(0)) execFileSync('umount', [dir]);
});

const failures = (findings: Awaited<ReturnType<typeof diagnose>>) => findings.filter((f) => f.level === 'fail');

describe('strand doctor', () => {
  it('finds nothing that would hurt in a fresh private directory with a free port', async () => {
    const dir = tmpDir();
    const findings = await diagnose({ dataDir: dir, listen: '127.0.0.1:0' });
    expect(failures(findings)).toEqual([]);
    expect(findings[0]).toEqual({ level: 'ok', check: `data directory ${dir}`, detail: `exists, writable (owner uid ${process.getuid!()}, mode 700)` });
    expect(findings[1]!.check).toBe(`data directory ${dir} fsync`);
    expect(findings[1]!.detail).toMatch(/^fdatasync of 4 KiB: median \d+\.\d\d ms, max \d+\.\d\d ms$/);
    expect(findings.find((f) => f.check === 'listener PLAINTEXT://127.0.0.1:0')).toEqual({ level: 'ok', check: 'listener PLAINTEXT://127.0.0.1:0', detail: 'port 0: a free port is picked at start' });
    expect(findings.map((f) => f.check).slice(-4)).toEqual(['open files limit (ulimit -n)', 'vm.max_map_count', 'vm.swappiness', 'dirty page ratios']);
    expect(render(findings).trimEnd().split('\n').at(-1)).toMatch(/^no problems, \d+ warnings?$/);
  });

  it('names a read-only data directory, exit 1', async () => {
    const dir = tmpDir();
    const code = canMount && tryMount(dir, 'size=4g,ro') ? 'EROFS' : 'EACCES';
    if (code === 'EACCES') {
      if (process.getuid?.() === 0) return void console.warn('doctor.test: root without mount rights cannot make a read-only directory; case skipped');
      execFileSync('chmod', ['555', dir]);
    }
    const findings = await diagnose({ dataDir: dir, listen: '127.0.0.1:0' });
    expect(failures(findings)).toEqual([{
      level: 'fail',
      check: `data directory ${dir}`,
      detail: `not writable: ${code}`,
      fix: `make it writable by the broker's user (uid ${process.getuid!()}): chown/chmod it, or mount it read-write (ReadWritePaths= in the systemd unit)`,
    }]);
  });

  it.skipIf(!canMount)('names a full file system', async () => {
    const dir = tmpDir();
    expect(tryMount(dir, 'size=1m')).toBe(true);
    try {
      writeFileSync(join(dir, 'filler'), Buffer.alloc(2 * 1024 * 1024));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    }
    const findings = await diagnose({ dataDir: dir, listen: '127.0.0.1:0' });
    expect(failures(findings)).toEqual([
      { level: 'fail', check: `data directory ${dir} fsync`, detail: 'writing or syncing a file failed: ENOSPC', fix: 'check the disk (dmesg) and the free space' },
      { level: 'fail', check: `free space for ${dir}`, detail: '0 MiB free of 1 MiB, less than one segment (log.segment.bytes=1073741824)', fix: 'free space, grow the volume, or lower log.retention.bytes / log.retention.ms' },
    ]);
  });

  it('names a listener whose port is taken', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const findings = await diagnose({ dataDir: tmpDir(), listen: `127.0.0.1:${port}` });
      expect(failures(findings)).toEqual([{ level: 'fail', check: `listener PLAINTEXT://127.0.0.1:${port}`, detail: 'the port is in use', fix: `stop what listens there (ss -ltnp 'sport = :${port}'; another broker?) or change listeners` }]);
    } finally {
      server.close();
    }
  });

  it('exits 1 and says what to change when the open-files limit is too low', async () => {
    const main = await bundleScript(join(ROOT, 'src/cli/main.ts'));
    const dir = tmpDir();
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn('prlimit', ['--nofile=512', process.execPath, main, 'doctor', '--data-dir', dir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
      child.on('error', reject);
      child.on('close', (c) => resolve({ code: c, stdout: out }));
    });
    expect(code).toBe(1);
    const lines = stdout.split('\n');
    const at = lines.indexOf('FAIL  open files limit (ulimit -n): 512 for 0 segments (3 files each) and the connections: below 1024');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe('      fix: raise it: LimitNOFILE=100000 in the systemd unit, or ulimit -n 100000 (Kafka recommends 100000)');
    expect(lines.at(-2)).toMatch(/^1 problem would hurt the broker, \d+ warnings?$/);
  });

  it('weighs the open-files limit and vm.max_map_count against the segments', () => {
    expect(openFilesLimit('Limit                     Soft Limit           Hard Limit           Units\nMax open files            4096                 8192                 files\n')).toBe(4096);
    expect(checkOpenFiles(1000, 4023)).toMatchObject({ level: 'fail', detail: '4023 for 1000 segments (3 files each) and the connections: below 4024' });
    expect(checkOpenFiles(1000, 4024).level).toBe('warn');
    expect(checkOpenFiles(1000, 100000).level).toBe('ok');

    const sys = tmpDir();
    mkdirSync(join(sys, 'vm'));
    const set = (values: Record<string, number>) => {
      for (const [k, v] of Object.entries(values)) writeFileSync(join(sys, 'vm', k), `${v}\n`);
    };
    set({ max_map_count: 65530, swappiness: 1, dirty_background_ratio: 5, dirty_ratio: 60 });
    expect(checkKernel(30000, sys)).toEqual([
      { level: 'fail', check: 'vm.max_map_count', detail: '65530 for 30000 segments (3 maps each): below 94096, mapping a new segment would fail', fix: 'sysctl -w vm.max_map_count=262144 (and in /etc/sysctl.d/)' },
      { level: 'ok', check: 'vm.swappiness', detail: '1' },
      { level: 'ok', check: 'dirty page ratios', detail: 'vm.dirty_background_ratio 5, vm.dirty_ratio 60' },
    ]);
    set({ max_map_count: 262144, swappiness: 60, dirty_background_ratio: 20, dirty_ratio: 20 });
    expect(checkKernel(1000, sys)).toEqual([
      { level: 'ok', check: 'vm.max_map_count', detail: '262144 for 1000 segments (3 maps each)' },
      { level: 'warn', check: 'vm.swappiness', detail: '60', fix: 'sysctl -w vm.swappiness=1: the broker\'s memory should not be swapped out in favour of page cache (Kafka\'s advice)' },
      { level: 'warn', check: 'dirty page ratios', detail: 'vm.dirty_background_ratio 20, vm.dirty_ratio 20: writers block as soon as writeback starts', fix: 'sysctl -w vm.dirty_background_ratio=5 vm.dirty_ratio=60' },
    ]);
  });
});
