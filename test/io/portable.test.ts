import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClosedError, InvalidArgumentError, StorageIOError } from '../../src/errors.js';
import { crc32cJs } from '../../src/io/crc32c-js.js';
import { GroupCommit } from '../../src/io/group-commit.js';
import { loadPortableBackend } from '../../src/io/portable.js';
import type { SegmentFile } from '../../src/io/types.js';

const dirs: string[] = [];
const open: SegmentFile[] = [];
afterEach(() => {
  for (const f of open.splice(0)) f.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'strand-portable-'));
  dirs.push(d);
  return d;
}

const io = loadPortableBackend();

function openFile(path: string, options?: Parameters<typeof io.openSegmentFile>[1]): SegmentFile {
  const f = io.openSegmentFile(path, options);
  open.push(f);
  return f;
}

const b = (s: string) => Buffer.from(s, 'latin1');

describe('portable backend', () => {
  it('is named portable and computes CRC-32C for small and large inputs', () => {
    expect(io.name).toBe('portable');
    const { crc32c } = io; // detached, as src/io/index.ts exports it
    expect(crc32c(b('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    for (const n of [1, 100, 127, 128, 129, 5000, 300_000]) {
      const data = randomBytes(n);
      expect(crc32c(data), `length ${n}`).toBe(crc32cJs(data));
      expect(crc32c(data, 0xabcdef01), `length ${n}, seeded`).toBe(crc32cJs(data, 0xabcdef01));
    }
  });

  it('is one backend per thread, and validates crc32c arguments', () => {
    expect(loadPortableBackend()).toBe(io);
    expect(() => io.crc32c('abc' as unknown as Uint8Array)).toThrow(InvalidArgumentError);
    expect(() => io.crc32c(null as unknown as Uint8Array)).toThrow(InvalidArgumentError);
    for (const seed of [-1, 2 ** 32, 1.5, Number.NaN]) {
      expect(() => io.crc32c(b('x'), seed), `seed ${seed}`).toThrow(InvalidArgumentError);
    }
    expect(io.crc32c(b('x'), 0xffffffff)).toBe(crc32cJs(b('x'), 0xffffffff));
  });
});

describe('portable SegmentFile', () => {
  it('creates the file and appends at the end, returning positions', () => {
    const path = join(tmp(), 'a.log');
    const f = openFile(path);
    expect(existsSync(path)).toBe(true);
    expect(f.path).toBe(path);
    expect(f.size).toBe(0);
    expect(f.append([b('hello')])).toBe(0);
    expect(f.append([b(' '), b('wor'), new Uint8Array(0), b('ld')])).toBe(5);
    expect(f.size).toBe(11);
    expect(f.append([])).toBe(11);
    expect(f.append([new Uint8Array(0)])).toBe(11);
    expect(f.view(0, 11).toString('latin1')).toBe('hello world');
    expect(f.view(6, 5).toString('latin1')).toBe('world');
    expect(f.view(11, 0).length).toBe(0);
    expect(readFileSync(path, 'latin1')).toBe('hello world');
  });

  it('views are copies: unaffected by later truncate, appends, close and delete', () => {
    const path = join(tmp(), 'a.log');
    const f = io.openSegmentFile(path);
    f.append([b('abcdef')]);
    const v = f.view(0, 6);
    f.truncate(2);
    f.append([b('XYZW')]);
    expect(v.toString('latin1')).toBe('abcdef');
    v[0] = 0x41;
    expect(f.view(0, 1).toString('latin1')).toBe('a');
    f.close();
    rmSync(path);
    expect(v.toString('latin1')).toBe('Abcdef');
  });

  it('appends many buffers (more than IOV_MAX) and large ones intact', () => {
    const f = openFile(join(tmp(), 'a.log'));
    const parts = Array.from({ length: 3000 }, (_, i) => randomBytes(i % 7));
    parts.push(randomBytes(3 << 20));
    const whole = Buffer.concat(parts);
    expect(f.append(parts)).toBe(0);
    expect(f.size).toBe(whole.length);
    expect(f.view(0, whole.length).equals(whole)).toBe(true);
    expect(readFileSync(f.path).equals(whole)).toBe(true);
  });

  it('truncate drops the tail on disk; new appends land at the new end', () => {
    const path = join(tmp(), 'a.log');
    const f = openFile(path);
    f.append([b('0123456789')]);
    f.truncate(4);
    expect(f.size).toBe(4);
    expect(statSync(path).size).toBe(4);
    expect(() => f.view(0, 5)).toThrow(InvalidArgumentError);
    expect(f.append([b('ab')])).toBe(4);
    expect(readFileSync(path, 'latin1')).toBe('0123ab');
    f.truncate(6); // same size: no-op
    f.truncate(0);
    expect(f.size).toBe(0);
    expect(statSync(path).size).toBe(0);
    f.append([b('z')]);
    expect(readFileSync(path, 'latin1')).toBe('z');
  });

  it('ignores preallocate: the file never holds more than the logical size', () => {
    const path = join(tmp(), 'a.log');
    const f = openFile(path, { preallocate: 1 << 20 });
    expect(statSync(path).size).toBe(0);
    f.append([b('abc')]);
    expect(statSync(path).size).toBe(3);
    f.close();
    expect(statSync(path).size).toBe(3);
  });

  it('reopens with the length on disk, or with a smaller size that the next append overwrites', () => {
    const path = join(tmp(), 'a.log');
    const f = io.openSegmentFile(path);
    f.append([b('good-good-TORN')]);
    f.close();

    const again = io.openSegmentFile(path);
    expect(again.size).toBe(14);
    again.close();

    const g = openFile(path, { size: 9 });
    expect(g.size).toBe(9);
    expect(g.view(0, 9).toString('latin1')).toBe('good-good');
    expect(() => g.view(0, 10)).toThrow(InvalidArgumentError);
    expect(() => g.view(9, 1)).toThrow(InvalidArgumentError);
    expect(g.append([b('!')])).toBe(9);
    expect(readFileSync(path, 'latin1')).toBe('good-good!');
    expect(g.size).toBe(10);
  });

  it('close trims an unwritten tail beyond `size`; read-only opens never modify the file', () => {
    const path = join(tmp(), 'a.log');
    writeFileSync(path, 'keep-tail');
    const r = io.openSegmentFile(path, { size: 4, readOnly: true });
    expect(r.size).toBe(4);
    expect(r.view(0, 4).toString('latin1')).toBe('keep');
    r.close();
    expect(readFileSync(path, 'latin1')).toBe('keep-tail');

    const w = io.openSegmentFile(path, { size: 4 });
    w.close();
    expect(readFileSync(path, 'latin1')).toBe('keep');

    const z = io.openSegmentFile(path, { size: 0 });
    expect(z.size).toBe(0);
    z.append([b('new')]);
    z.close();
    expect(readFileSync(path, 'latin1')).toBe('new');
  });

  it('read-only files refuse appends and truncates but read and sync', async () => {
    const path = join(tmp(), 'a.log');
    writeFileSync(path, 'sealed');
    const f = openFile(path, { readOnly: true });
    expect(f.size).toBe(6);
    expect(f.view(1, 4).toString('latin1')).toBe('eale');
    expect(() => f.append([b('x')])).toThrow(StorageIOError);
    expect(() => f.append([b('x')])).toThrow(/read-only/);
    expect(() => f.truncate(0)).toThrow(StorageIOError);
    await f.sync();
    expect(readFileSync(path, 'latin1')).toBe('sealed');
  });

  it('open failures are StorageIOErrors naming the path and the errno', () => {
    const dir = tmp();
    const missing = join(dir, 'no', 'such', 'dir', 'a.log');
    let err: unknown;
    try {
      io.openSegmentFile(missing);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageIOError);
    expect((err as StorageIOError).path).toBe(missing);
    expect((err as Error).message).toContain(missing);
    expect((err as Error).message).toContain('ENOENT');
    expect(() => io.openSegmentFile(join(dir, 'none.log'), { readOnly: true })).toThrow(/ENOENT/);
    expect(existsSync(join(dir, 'none.log'))).toBe(false);
    expect(() => io.openSegmentFile(dir)).toThrow(StorageIOError); // a directory: EISDIR
  });

  it('rejects bad arguments with InvalidArgumentError', () => {
    const dir = tmp();
    const path = join(dir, 'a.log');
    writeFileSync(path, '0123456789');
    expect(() => io.openSegmentFile('')).toThrow(InvalidArgumentError);
    expect(() => io.openSegmentFile(path, { size: 11 })).toThrow(StorageIOError); // beyond the end, as native
    expect(() => io.openSegmentFile(path, { size: 11 })).toThrow(/beyond the end/);
    expect(() => io.openSegmentFile('a\0b')).toThrow(InvalidArgumentError);
    expect(() => io.openSegmentFile(path, { readOnly: 'yes' as unknown as boolean })).toThrow(InvalidArgumentError);
    expect(() => io.openSegmentFile(path, { size: -1 })).toThrow(InvalidArgumentError);
    expect(() => io.openSegmentFile(path, { size: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => io.openSegmentFile(path, { preallocate: -1 })).toThrow(InvalidArgumentError);
    const f = openFile(path);
    for (const [pos, len] of [[-1, 1], [0, -1], [0, 11], [10, 1], [11, 0], [1.5, 1], [0, Number.NaN], [Number.POSITIVE_INFINITY, 0]] as const) {
      expect(() => f.view(pos, len), `view(${pos}, ${len})`).toThrow(InvalidArgumentError);
    }
    for (const size of [-1, 11, 2.5, Number.NaN]) {
      expect(() => f.truncate(size), `truncate(${size})`).toThrow(InvalidArgumentError);
    }
    expect(() => f.append('abc' as unknown as Uint8Array[])).toThrow(InvalidArgumentError);
    expect(() => f.append([b('ok'), 'no' as unknown as Uint8Array])).toThrow(InvalidArgumentError);
    // nothing was written by the failed calls
    expect(f.size).toBe(10);
    expect(readFileSync(path, 'latin1')).toBe('0123456789');
  });

  it('use after close throws ClosedError naming the file; close is idempotent', async () => {
    const f = io.openSegmentFile(join(tmp(), 'a.log'));
    f.append([b('abc')]);
    f.close();
    f.close();
    expect(() => f.append([b('x')])).toThrow(ClosedError);
    expect(() => f.append([b('x')])).toThrow(f.path);
    expect(() => f.view(0, 1)).toThrow(ClosedError);
    expect(() => f.truncate(0)).toThrow(ClosedError);
    await expect(f.sync()).rejects.toThrow(ClosedError);
    expect(f.size).toBe(3);
  });
});

describe('portable sync and group commit', () => {
  it('sync fdatasyncs what was appended, and skips when nothing is new', async () => {
    const path = join(tmp(), 'a.log');
    const f = openFile(path);
    const data = randomBytes(100_000);
    f.append([data]);
    const before = io.fsyncCount();
    await f.sync();
    expect(io.fsyncCount()).toBe(before + 2); // the data, then the directory of the new file
    expect(readFileSync(path).equals(data)).toBe(true);
    await f.sync(); // nothing new
    expect(io.fsyncCount()).toBe(before + 2);
    f.truncate(10);
    await f.sync(); // a truncate is a change too
    expect(io.fsyncCount()).toBe(before + 3);
    expect(statSync(path).size).toBe(10);
  });

  it('the first sync of a handle always fsyncs (it may cover writes of an earlier handle)', async () => {
    const path = join(tmp(), 'a.log');
    const w = io.openSegmentFile(path);
    w.append([b('data')]);
    w.close();
    const r = openFile(path, { readOnly: true });
    const before = io.fsyncCount();
    await r.sync();
    expect(io.fsyncCount()).toBe(before + 1);
  });

  it('200 concurrent sync() calls after appends share one fsync', async () => {
    const f = openFile(join(tmp(), 'a.log'));
    for (let i = 0; i < 200; i++) f.append([randomBytes(100)]);
    const before = io.fsyncCount();
    await Promise.all(Array.from({ length: 200 }, () => f.sync()));
    const used = io.fsyncCount() - before;
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThanOrEqual(3);
  });

  it('200 interleaved append + sync() calls cost at most 2 fsyncs, each covering its append', async () => {
    const path = join(tmp(), 'a.log');
    const f = openFile(path);
    const before = io.fsyncCount();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      f.append([b(`record-${i};`)]);
      pending.push(f.sync());
    }
    // every caller after the first appended after the first fsync started, so none of them may
    // resolve before a second fsync has run
    const countsAtResolve = await Promise.all(pending.map((p) => p.then(() => io.fsyncCount() - before)));
    expect(countsAtResolve[0]).toBeGreaterThanOrEqual(1);
    for (const c of countsAtResolve.slice(1)) expect(c).toBeGreaterThanOrEqual(2);
    expect(io.fsyncCount() - before).toBeLessThanOrEqual(3); // 2 of the data, 1 of the new file's directory
    expect(readFileSync(path, 'latin1')).toBe(Array.from({ length: 200 }, (_, i) => `record-${i};`).join(''));
  });

  it('sustained concurrent producers: fsyncs stay far below the number of sync calls', async () => {
    const f = openFile(join(tmp(), 'a.log'));
    const before = io.fsyncCount();
    let calls = 0;
    const producer = async (id: number) => {
      for (let i = 0; i < 20; i++) {
        f.append([b(`${id}:${i};`)]);
        calls++;
        await f.sync();
      }
    };
    await Promise.all(Array.from({ length: 50 }, (_, id) => producer(id)));
    const used = io.fsyncCount() - before;
    expect(calls).toBe(1000);
    // each round of 50 producers costs 2: the first caller starts one at once, the other 49
    // share the next; so 40 here, against 1000 without group commit
    expect(used).toBeLessThanOrEqual(60);
  });

  it('close with syncs in flight and queued: both resolve, the descriptor closes afterwards', async () => {
    const path = join(tmp(), 'a.log');
    const f = io.openSegmentFile(path);
    f.append([b('first')]);
    const first = f.sync();
    f.append([b('second')]);
    const second = f.sync(); // queued behind the running one
    f.close();
    await expect(first).resolves.toBeUndefined();
    await expect(second).resolves.toBeUndefined();
    await expect(f.sync()).rejects.toThrow(ClosedError);
    expect(readFileSync(path, 'latin1')).toBe('firstsecond');
  });

  it('many files opened and closed with pending syncs leak no descriptors', async () => {
    const dir = tmp();
    const syncs: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      const f = io.openSegmentFile(join(dir, `${i}.log`));
      f.append([b('x')]);
      syncs.push(f.sync());
      f.close();
    }
    await Promise.all(syncs);
    await new Promise((r) => setTimeout(r, 20));
    if (existsSync('/proc/self/fd')) {
      const { readdirSync, readlinkSync } = await import('node:fs');
      const leaked = readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
        } catch {
          return false;
        }
      });
      expect(leaked).toEqual([]);
    }
  });
});

describe('GroupCommit', () => {
  function controlled() {
    const flushes: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
    const gc = new GroupCommit(
      () =>
        new Promise<void>((resolve, reject) => {
          flushes.push({ resolve, reject });
        }),
    );
    return { gc, flushes };
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it('runs at most one flush at a time and at most one queued behind it', async () => {
    const { gc, flushes } = controlled();
    gc.touch();
    const a = gc.sync();
    gc.touch();
    const rest = Array.from({ length: 100 }, () => gc.sync());
    expect(flushes.length).toBe(1);
    expect(gc.busy).toBe(true);
    let restDone = false;
    void Promise.all(rest).then(() => (restDone = true));
    flushes[0]!.resolve();
    await a;
    await tick();
    expect(restDone).toBe(false);
    expect(flushes.length).toBe(2);
    flushes[1]!.resolve();
    await Promise.all(rest);
    expect(gc.busy).toBe(false);
    await gc.sync(); // nothing new
    expect(flushes.length).toBe(2);
  });

  it('callers with nothing new since the running flush started share it', async () => {
    const { gc, flushes } = controlled();
    gc.touch();
    const a = gc.sync();
    const b2 = gc.sync();
    expect(flushes.length).toBe(1);
    flushes[0]!.resolve();
    await Promise.all([a, b2]);
    expect(flushes.length).toBe(1);
  });

  it('a failed flush rejects its callers and every later sync (sticky)', async () => {
    const { gc, flushes } = controlled();
    gc.touch();
    const a = gc.sync();
    gc.touch();
    const queued = gc.sync();
    flushes[0]!.reject(new StorageIOError('fdatasync x failed (EIO)', 'x'));
    await expect(a).rejects.toThrow(/EIO/);
    await expect(queued).rejects.toThrow(/EIO/);
    expect(flushes.length).toBe(1);
    gc.touch();
    await expect(gc.sync()).rejects.toThrow(/EIO/);
    expect(flushes.length).toBe(1);
    await gc.idle();
  });

  it('idle() waits for the queued flush too', async () => {
    const { gc, flushes } = controlled();
    gc.touch();
    void gc.sync();
    gc.touch();
    void gc.sync();
    let idle = false;
    void gc.idle().then(() => (idle = true));
    flushes[0]!.resolve();
    await tick();
    expect(idle).toBe(false);
    flushes[1]!.resolve();
    await tick();
    expect(idle).toBe(true);
  });

  it('a flush function that throws synchronously rejects instead of throwing', async () => {
    const gc = new GroupCommit(() => {
      throw new Error('boom');
    });
    gc.touch();
    await expect(gc.sync()).rejects.toThrow('boom');
  });
});
