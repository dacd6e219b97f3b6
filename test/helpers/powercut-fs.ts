/**
 * Mounts the power-cut file system (test/fault/powercut/powercutfs.c) for a test: a FUSE mount
 * over a backing directory that forgets, when told the power is cut, every write not fsynced
 * and every directory entry change whose directory was not fsynced. See the C file for the model.
 *
 * Power-cut tests must run in CI (root, Debian, /dev/fuse). When FUSE cannot be used here,
 * mountPowercutFs() throws PowercutFsUnavailableError saying why, so those tests fail loudly;
 * only STRAND_NO_FUSE=1, set on purpose, makes them skip (`describe.skipIf(powercutFsSkipped)`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** STRAND_POWERCUTFS names another build (a variant with a planted fault, say); it is not rebuilt. */
const override = process.env.STRAND_POWERCUTFS;
const binary = override ?? join(root, 'build/powercutfs');
const buildScript = join(root, 'scripts/build-powercutfs.mjs');
/** The control file at the mount root (not listed by readdir). */
const CONTROL = '.powercut';

/** True when STRAND_NO_FUSE=1 was set explicitly: power-cut tests skip instead of failing. */
export const powercutFsSkipped = process.env.STRAND_NO_FUSE === '1';

export class PowercutFsUnavailableError extends Error {
  override readonly name = 'PowercutFsUnavailableError';
}

export interface CutOptions {
  /** Keep a random prefix (a multiple of 512 bytes, shorter than the write) of the last unsynced write. */
  torn?: boolean;
  /** Makes the torn prefix reproducible. */
  seed?: number;
}

/** Counters of the running file system, read from its control file. */
export interface PowercutStats {
  /** fsync and fdatasync calls on files since this mount. */
  fsyncs: number;
  /** fsync calls on directories since this mount. */
  dirFsyncs: number;
  /** Volatile content changes (writes, truncates, fallocates) not yet synced. */
  pendingData: number;
  /** Volatile directory entry changes not yet synced. */
  pendingEntries: number;
  cut: boolean;
  /** Undo steps that met a durable entry of the same name (see the C file's limits). */
  conflicts: number;
  /** Bytes of the last write kept by the last torn cut. */
  tornKept: number;
}

export interface PowercutFs {
  /** Where the file system is mounted: put the data directory under it. */
  readonly mountpoint: string;
  /** The backing directory: after a cut it holds exactly what was durable. */
  readonly backing: string;
  readonly mounted: boolean;
  /**
   * Cuts the power now, between two file system operations: the backing directory keeps only what
   * was synced, and every later operation on the mount fails with EIO (kill the writer next).
   */
  cut(options?: CutOptions): Promise<void>;
  stats(): Promise<PowercutStats>;
  /** File fsyncs (fsync + fdatasync) since this mount. */
  fsyncCount(): Promise<number>;
  /** Unmounts (no-op when not mounted). Without a cut, every change stays in the backing directory. */
  unmount(): Promise<void>;
  /** Unmounts if needed and mounts again at the same mountpoint over the same backing directory, with nothing volatile. */
  remount(): Promise<void>;
  /** Unmounts, then deletes the mountpoint and the backing directory if this helper made them. */
  dispose(): Promise<void>;
  /** What the file system printed (cut summaries, errors), across remounts. */
  log(): string;
}

export interface MountOptions {
  /** Backing directory to use (kept on dispose); default: a fresh temporary one (deleted on dispose). */
  backing?: string;
}

let built: string | undefined;

/** Why the power-cut file system cannot run here, or undefined when it can (builds it if needed). */
export function powercutFsProblem(): string | undefined {
  if (!existsSync('/dev/fuse')) return '/dev/fuse is missing: FUSE is not available on this machine (a container needs --device /dev/fuse --cap-add SYS_ADMIN)';
  // `npm run build:native` (node-gyp rebuild) empties build/, so look again each time.
  if (override !== undefined) {
    if (!existsSync(override)) return `STRAND_POWERCUTFS=${override} does not exist`;
  } else if (built === undefined || (built === '' && !existsSync(binary))) {
    const r = spawnSync(process.execPath, [buildScript], { encoding: 'utf8' });
    built = r.status === 0 ? '' : `the power-cut file system does not build: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`;
  }
  if (override === undefined && built !== '') return built;
  if (spawnSync('fusermount3', ['-V'], { stdio: 'ignore' }).status !== 0) return 'fusermount3 is missing; install it with: apt-get install -y fuse3';
  return undefined;
}

const live = new Set<string>();
// Last resort for a test process that ends with mounts still up (the daemon also dies with its
// parent and auto_unmount then unmounts).
process.once('exit', () => {
  for (const mp of live) spawnSync('fusermount3', ['-u', '-z', mp], { stdio: 'ignore' });
});

function run(cmd: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => res({ status: null, stderr: err.message }));
    child.on('close', (status) => res({ status, stderr }));
  });
}

async function isMounted(mountpoint: string): Promise<boolean> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => line.split(' ')[4] === mountpoint);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Mount implements PowercutFs {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  constructor(
    readonly mountpoint: string,
    readonly backing: string,
    private readonly ownsBacking: boolean,
  ) {}

  get mounted(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    const child = spawn(binary, [this.backing, this.mountpoint, '-f', '-s', '-o', 'auto_unmount,fsname=powercutfs,subtype=powercutfs'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let exitStatus: string | undefined;
    this.exited = new Promise((res) => {
      child.on('exit', (code, signal) => {
        exitStatus = `exit ${code ?? signal}`;
        res();
      });
    });
    const collect = (d: Buffer) => (this.output += d.toString());
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', (err) => (this.output += `${err.message}\n`));
    // The mount must not keep the test process alive.
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    this.child = child;
    live.add(this.mountpoint);
    const deadline = Date.now() + 10_000;
    while (!(await isMounted(this.mountpoint))) {
      if (exitStatus !== undefined || Date.now() > deadline) {
        this.child = undefined;
        live.delete(this.mountpoint);
        child.kill('SIGKILL');
        throw new PowercutFsUnavailableError(`powercutfs did not mount ${this.backing} at ${this.mountpoint} (${exitStatus ?? 'timed out after 10 s'}): ${this.output.trim()}`);
      }
      await sleep(10);
    }
  }

  async cut(options: CutOptions = {}): Promise<void> {
    if (!this.child) throw new Error(`powercutfs: cut() on ${this.mountpoint}, which is not mounted`);
    const command = `cut${options.torn ? ' torn' : ''}${options.seed !== undefined ? ` seed=${options.seed}` : ''}`;
    await writeFile(join(this.mountpoint, CONTROL), command);
  }

  async stats(): Promise<PowercutStats> {
    const text = await readFile(join(this.mountpoint, CONTROL), 'utf8');
    const v = new Map(text.trim().split('\n').map((line) => line.split(' ') as [string, string]));
    const n = (key: string) => Number(v.get(key) ?? NaN);
    return {
      fsyncs: n('fsyncs'),
      dirFsyncs: n('dir_fsyncs'),
      pendingData: n('pending_data'),
      pendingEntries: n('pending_entries'),
      cut: n('cut') === 1,
      conflicts: n('conflicts'),
      tornKept: n('torn_kept'),
    };
  }

  async fsyncCount(): Promise<number> {
    return (await this.stats()).fsyncs;
  }

  async unmount(): Promise<void> {
    if (!this.child) return;
    const child = this.child;
    let r = await run('fusermount3', ['-u', this.mountpoint]);
    // Busy (a killed writer's files not yet released): detach it; the daemon exits when the last user goes.
    if (r.status !== 0 && (await isMounted(this.mountpoint))) r = await run('fusermount3', ['-u', '-z', this.mountpoint]);
    if (r.status !== 0 && (await isMounted(this.mountpoint))) r = await run('umount', ['-l', this.mountpoint]);
    if (await isMounted(this.mountpoint)) throw new Error(`powercutfs: cannot unmount ${this.mountpoint}: ${r.stderr.trim()}`);
    // After a lazy unmount the daemon serves whoever still holds a file (a mapping not yet
    // collected) and would not exit: SIGTERM ends its loop (a clean one still finishes its
    // unmount work), SIGKILL if that hangs.
    const term = setTimeout(() => child.kill('SIGTERM'), 200);
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(term);
    clearTimeout(kill);
    this.child = undefined;
    live.delete(this.mountpoint);
  }

  async remount(): Promise<void> {
    await this.unmount();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.unmount();
    rmSync(this.mountpoint, { recursive: true, force: true });
    if (this.ownsBacking) rmSync(this.backing, { recursive: true, force: true });
  }

  log(): string {
    return this.output;
  }
}

/** Builds the file system if needed and mounts it over a backing directory at a fresh mountpoint. */
export async function mountPowercutFs(options: MountOptions = {}): Promise<PowercutFs> {
  const problem = powercutFsProblem();
  if (problem !== undefined) {
    throw new PowercutFsUnavailableError(`${problem}\n(power-cut tests need FUSE; set STRAND_NO_FUSE=1 to skip them on purpose)`);
  }
  const backing = options.backing ?? mkdtempSync(join(tmpdir(), 'strand-powercut-backing-'));
  // Resolved, as /proc/self/mountinfo lists it.
  const mountpoint = realpathSync(mkdtempSync(join(tmpdir(), 'strand-powercut-mnt-')));
  const fs = new Mount(mountpoint, backing, options.backing === undefined);
  try {
    await fs.start();
  } catch (err) {
    rmSync(mountpoint, { recursive: true, force: true });
    if (options.backing === undefined) rmSync(backing, { recursive: true, force: true });
    throw err;
  }
  return fs;
}
