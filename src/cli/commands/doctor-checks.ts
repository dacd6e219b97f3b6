/**
 * The checks of `strand doctor`, each returning findings: `ok`, `warn` (works, but not as well
 * as it could) or `fail` (would hurt: the broker would not start, would stop, or would lose
 * data on a reboot). Thresholds follow Apache Kafka's operations guidance where it gives one
 * (open files 100000, vm.max_map_count above the mapped index files, vm.swappiness 1, no NFS).
 */
import { closeSync, existsSync, fdatasyncSync, lstatSync, openSync, readdirSync, readFileSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

export type Level = 'ok' | 'warn' | 'fail';

export interface Finding {
  level: Level;
  check: string;
  detail: string;
  /** What to change, for warn and fail. */
  fix?: string;
}

const MiB = 1024 * 1024;

/** statfs f_type magic numbers (linux/magic.h) of file systems worth naming. */
const FS_TYPES: ReadonlyMap<number, string> = new Map([
  [0xef53, 'ext4'], [0x58465342, 'xfs'], [0x9123683e, 'btrfs'], [0x2fc12fc1, 'zfs'], [0x01021994, 'tmpfs'], [0x6969, 'nfs'],
  [0xff534d42, 'cifs'], [0x65735546, 'fuse'], [0x794c7630, 'overlayfs'], [0x858458f6, 'ramfs'], [0x5346544e, 'ntfs'], [0x4d44, 'vfat'],
]);

const errText = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** The directory that exists: `dir`, or the nearest ancestor the broker would create it under. */
function existing(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/** Segment files (.log) in the partition directories of `dataDir`. */
export function countSegments(dataDir: string): number {
  let n = 0;
  let entries: string[];
  try {
    entries = readdirSync(dataDir);
  } catch {
    return 0;
  }
  for (const name of entries) {
    try {
      for (const f of readdirSync(join(dataDir, name))) if (f.endsWith('.log')) n++;
    } catch {
      // a file, not a partition directory
    }
  }
  return n;
}

/** Whether the data directory can be written (by creating a file, which is what counts: root ignores modes, not read-only mounts). */
export function checkDataDir(dataDir: string, segmentBytes: number): Finding[] {
  const out: Finding[] = [];
  const check = `data directory ${dataDir}`;
  const target = existing(dataDir);
  if (target !== dataDir) {
    let st;
    try {
      st = lstatSync(target);
    } catch (err) {
      return [{ level: 'fail', check, detail: `cannot be examined (${errText(err)})`, fix: `create it: mkdir -p ${dataDir}` }];
    }
    if (!st.isDirectory()) return [{ level: 'fail', check, detail: `${target} is not a directory`, fix: `point log.dirs at a directory` }];
  } else if (!lstatSync(dataDir).isDirectory()) {
    return [{ level: 'fail', check, detail: 'is not a directory', fix: 'point log.dirs at a directory' }];
  }
  const probe = join(target, `.strand-doctor-${process.pid}`);
  let fd = -1;
  try {
    fd = openSync(probe, 'wx', 0o600);
  } catch (err) {
    out.push({ level: 'fail', check, detail: `not writable${target !== dataDir ? ` (nor is ${target}, where it would be created)` : ''}: ${errText(err)}`, fix: `make it writable by the broker's user (uid ${process.getuid?.()}): chown/chmod it, or mount it read-write (ReadWritePaths= in the systemd unit)` });
  }
  if (fd >= 0) {
    // The fsync latency probe: the time an acks=all produce with flush.messages=1 waits on.
    const block = Buffer.alloc(4096, 1);
    const times: number[] = [];
    try {
      for (let i = 0; i < 5; i++) {
        writeSync(fd, block, 0, block.length, i * block.length);
        const t0 = process.hrtime.bigint();
        fdatasyncSync(fd);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    } catch (err) {
      out.push({ level: 'fail', check: `${check} fsync`, detail: `writing or syncing a file failed: ${errText(err)}`, fix: 'check the disk (dmesg) and the free space' });
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
    if (times.length === 5) {
      times.sort((a, b) => a - b);
      const median = times[2]!;
      const detail = `fdatasync of 4 KiB: median ${median.toFixed(2)} ms, max ${times[4]!.toFixed(2)} ms`;
      if (median > 50) out.push({ level: 'warn', check: `${check} fsync`, detail, fix: 'a slow disk makes flush.messages=1 and log.flush.interval.ms slow; use a local SSD, not a network or overcommitted volume' });
      else out.push({ level: 'ok', check: `${check} fsync`, detail });
    }
    if (!out.some((f) => f.level === 'fail' && f.check === check)) {
      const st = lstatSync(target);
      const mode = (st.mode & 0o777).toString(8);
      // World-writable matters for the data directory itself; a sticky parent such as /tmp is fine.
      if ((st.mode & 0o002) !== 0 && (target === dataDir || (st.mode & 0o1000) === 0)) out.unshift({ level: 'warn', check, detail: `writable by every user (mode ${mode})`, fix: `chmod o-w ${target}` });
      else out.unshift({ level: 'ok', check, detail: `${target === dataDir ? 'exists' : `will be created in ${target}`}, writable (owner uid ${st.uid}, mode ${mode})` });
    }
  }
  out.push(...checkFileSystem(dataDir, target, segmentBytes));
  return out;
}

function checkFileSystem(dataDir: string, target: string, segmentBytes: number): Finding[] {
  let fs;
  try {
    fs = statfsSync(target);
  } catch (err) {
    return [{ level: 'warn', check: `file system of ${dataDir}`, detail: `cannot be examined (${errText(err)})` }];
  }
  const out: Finding[] = [];
  const type = FS_TYPES.get(fs.type) ?? `type 0x${fs.type.toString(16)}`;
  const fsCheck = `file system of ${dataDir}`;
  if (type === 'nfs' || type === 'cifs') out.push({ level: 'fail', check: fsCheck, detail: type, fix: 'keep the data on a local file system: network file systems break mmap and file locking (Kafka does not support NFS either)' });
  else if (type === 'tmpfs' || type === 'ramfs') out.push({ level: 'warn', check: fsCheck, detail: `${type}: the data is lost at reboot`, fix: 'use a disk-backed file system (ext4, xfs) unless the data is disposable' });
  else if (type === 'overlayfs') out.push({ level: 'warn', check: fsCheck, detail: 'overlayfs (a container layer): slow and lost with the container', fix: 'mount a volume for the data directory' });
  else out.push({ level: 'ok', check: fsCheck, detail: type });

  const free = fs.bavail * fs.bsize;
  const total = fs.blocks * fs.bsize;
  const spaceCheck = `free space for ${dataDir}`;
  const detail = `${(free / MiB).toFixed(0)} MiB free of ${(total / MiB).toFixed(0)} MiB`;
  // A new segment reserves log.segment.bytes up front (the native backend preallocates it).
  if (free < segmentBytes) out.push({ level: 'fail', check: spaceCheck, detail: `${detail}, less than one segment (log.segment.bytes=${segmentBytes})`, fix: 'free space, grow the volume, or lower log.retention.bytes / log.retention.ms' });
  else if (free < total * 0.1) out.push({ level: 'warn', check: spaceCheck, detail: `${detail} (under 10%)`, fix: 'free space or lower retention before the disk fills: a full disk stops every write' });
  else out.push({ level: 'ok', check: spaceCheck, detail });
  return out;
}

/** Whether each listener's address can be bound now. */
export async function checkListeners(listeners: ReadonlyArray<{ name: string; host: string; port: number }>): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const l of listeners) {
    const check = `listener ${l.name}://${l.host}:${l.port}`;
    if (l.port === 0) {
      out.push({ level: 'ok', check, detail: 'port 0: a free port is picked at start' });
      continue;
    }
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      const server = createServer();
      server.once('error', resolve);
      server.listen({ port: l.port, host: l.host === '' ? undefined : l.host, exclusive: true }, () => server.close(() => resolve(null)));
    });
    if (error === null) out.push({ level: 'ok', check, detail: 'can be bound' });
    else if (error.code === 'EADDRINUSE') out.push({ level: 'fail', check, detail: 'the port is in use', fix: `stop what listens there (ss -ltnp 'sport = :${l.port}'; another broker?) or change listeners` });
    else if (error.code === 'EACCES') out.push({ level: 'fail', check, detail: 'binding needs privileges (port below 1024)', fix: 'use a port above 1023, or AmbientCapabilities=CAP_NET_BIND_SERVICE in the systemd unit' });
    else out.push({ level: 'fail', check, detail: `cannot be bound (${error.code ?? error.message})`, fix: 'use an address of this machine (ip addr), or 0.0.0.0' });
  }
  return out;
}

/** The soft open-files limit of this process (what the broker started the same way gets). */
export function openFilesLimit(limitsText = readFileSync('/proc/self/limits', 'utf8')): number | null {
  const m = /^Max open files\s+(\d+|unlimited)\s+/m.exec(limitsText);
  if (m === null) return null;
  return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

/**
 * Every segment keeps its .log, .index and .timeindex open and mapped: 3 descriptors and 3 maps
 * per segment, plus one descriptor per client connection.
 */
export function checkOpenFiles(segments: number, limit: number | null): Finding {
  const check = 'open files limit (ulimit -n)';
  if (limit === null) return { level: 'warn', check, detail: 'unknown (no /proc/self/limits)' };
  const need = 3 * segments + 1024;
  const detail = `${limit} for ${segments} segments (3 files each) and the connections`;
  if (limit < need) return { level: 'fail', check, detail: `${detail}: below ${need}`, fix: 'raise it: LimitNOFILE=100000 in the systemd unit, or ulimit -n 100000 (Kafka recommends 100000)' };
  if (limit < 65536) return { level: 'warn', check, detail: `${detail}: enough today, little room for growth`, fix: 'LimitNOFILE=100000 in the systemd unit, or ulimit -n 100000 (Kafka recommends 100000)' };
  return { level: 'ok', check, detail };
}

function sysctl(name: string, root: string): number | null {
  try {
    return Number(readFileSync(join(root, name.replace(/\./g, '/')), 'utf8').trim());
  } catch {
    return null;
  }
}

/** Kernel settings a broker cares about, read from /proc/sys (or `root`, for tests). */
export function checkKernel(segments: number, root = '/proc/sys'): Finding[] {
  const out: Finding[] = [];
  const maps = sysctl('vm.max_map_count', root);
  if (maps !== null) {
    const need = 3 * segments + 4096;
    const detail = `${maps} for ${segments} segments (3 maps each)`;
    if (maps < need) out.push({ level: 'fail', check: 'vm.max_map_count', detail: `${detail}: below ${need}, mapping a new segment would fail`, fix: `sysctl -w vm.max_map_count=${Math.max(262144, 2 * need)} (and in /etc/sysctl.d/)` });
    else if (maps < 2 * need) out.push({ level: 'warn', check: 'vm.max_map_count', detail: `${detail}: less than twice what is mapped now`, fix: `sysctl -w vm.max_map_count=${Math.max(262144, 2 * need)}` });
    else out.push({ level: 'ok', check: 'vm.max_map_count', detail });
  }
  const swappiness = sysctl('vm.swappiness', root);
  if (swappiness !== null) {
    if (swappiness > 10) out.push({ level: 'warn', check: 'vm.swappiness', detail: String(swappiness), fix: 'sysctl -w vm.swappiness=1: the broker\'s memory should not be swapped out in favour of page cache (Kafka\'s advice)' });
    else out.push({ level: 'ok', check: 'vm.swappiness', detail: String(swappiness) });
  }
  const background = sysctl('vm.dirty_background_ratio', root);
  const ratio = sysctl('vm.dirty_ratio', root);
  if (background !== null && ratio !== null) {
    const detail = `vm.dirty_background_ratio ${background}, vm.dirty_ratio ${ratio}`;
    if (ratio <= background) out.push({ level: 'warn', check: 'dirty page ratios', detail: `${detail}: writers block as soon as writeback starts`, fix: 'sysctl -w vm.dirty_background_ratio=5 vm.dirty_ratio=60' });
    else if (background > 10) out.push({ level: 'warn', check: 'dirty page ratios', detail: `${detail}: writeback starts late, then comes in bursts`, fix: 'sysctl -w vm.dirty_background_ratio=5' });
    else out.push({ level: 'ok', check: 'dirty page ratios', detail });
  }
  return out;
}
