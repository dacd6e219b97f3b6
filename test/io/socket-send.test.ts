/**
 * io.sendTo (native/socket_send.cc): chunks written to a socket from native code, views of
 * segment files by sendfile. The peer must get exactly the bytes of the chunks, in order, however
 * the file changed after the views were taken, and a socket that takes only part of them gets
 * exactly that part, the count returned.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Socket, connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadNativeBackend } from '../../src/io/native.js';
import { descriptorOf } from '../../src/broker/socket-reads.js';
import { tmpDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

const skip = process.env.STRAND_BACKEND === 'portable' || process.platform !== 'linux';
const native = skip ? undefined! : loadNativeBackend();

/** Bytes this process has read from files: sendfile counts what it reads from the file, writev from memory does not. */
const bytesReadFromFiles = () => Number(/rchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);

const open: Socket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.destroy();
});

/** A connected loopback pair: the sending socket (its descriptor) and everything the peer receives. */
async function pair(): Promise<{ fd: number; sender: Socket; received: () => Buffer; peer: Socket }> {
  const chunks: Buffer[] = [];
  let peer!: Socket;
  const server = createServer((s) => {
    peer = s;
    open.push(s);
    s.on('data', (c) => chunks.push(c));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const sender = connect(port, '127.0.0.1');
  open.push(sender);
  await new Promise<void>((r) => sender.once('connect', r));
  await until('the server accepts', () => peer !== undefined);
  server.close();
  return { fd: descriptorOf(sender), sender, received: () => Buffer.concat(chunks), peer };
}

describe.skipIf(skip)('io.sendTo', () => {
  it('sends plain buffers and views of several files in order, the views by sendfile', async () => {
    const dir = tmpDir();
    const a = native.openSegmentFile(join(dir, 'a.log'));
    const b = native.openSegmentFile(join(dir, 'b.log'));
    const aBytes = randomBytes(3 << 20);
    const bBytes = randomBytes(100_000);
    a.append([aBytes]);
    b.append([bBytes]);
    const chunks = [Buffer.from('head'), a.view(12_345, 3_000_000), Buffer.from('middle'), Buffer.from('more'), b.view(0, 100_000), b.view(99_000, 1000), Buffer.from('tail')];
    const expected = Buffer.concat(chunks);
    const { fd, received } = await pair();
    const read = bytesReadFromFiles();
    let sent = 0;
    // The socket's buffer may take less than 3 MB at once: offer the rest as it drains.
    while (sent < expected.length) {
      const rest = restOf(chunks, sent);
      sent += native.sendTo(fd, rest);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(sent).toBe(expected.length);
    expect(bytesReadFromFiles() - read).toBeGreaterThanOrEqual(3_101_000);
    await until('the peer has every byte', () => received().length === expected.length);
    expect(received().equals(expected)).toBe(true);
    a.close();
    b.close();
  });

  it('stops where the socket is full and says how much it took', async () => {
    const dir = tmpDir();
    const f = native.openSegmentFile(join(dir, 'big.log'));
    const bytes = randomBytes(32 << 20);
    f.append([bytes]);
    const { fd, sender, received, peer } = await pair();
    peer.pause(); // the peer reads nothing: the socket fills
    const chunks = [Buffer.from('header'), f.view(0, bytes.length)];
    const sent = native.sendTo(fd, chunks);
    expect(sent).toBeGreaterThan(6);
    expect(sent).toBeLessThan(bytes.length + 6);
    // The rest goes the ordinary way, after what sendTo wrote.
    sender.write(restOf(chunks, sent)[0]!);
    peer.resume();
    await until('the peer has every byte', () => received().length === bytes.length + 6, 30_000);
    expect(received().equals(Buffer.concat(chunks))).toBe(true);
    f.close();
  });

  it('sends what a view saw: the old bytes after a truncation replaced the file, and after close', async () => {
    const dir = tmpDir();
    const f = native.openSegmentFile(join(dir, 'seg.log'), { preallocate: 1 << 20 });
    const old = randomBytes(200_000);
    f.append([old]);
    const before = f.view(0, 200_000);
    f.truncate(1000); // a live view reaches past 1000: the file is replaced, the view keeps the old one
    const fresh = randomBytes(199_000);
    f.append([fresh]);
    const after = f.view(0, 200_000);
    const closed = native.openSegmentFile(join(dir, 'closed.log'));
    const gone = randomBytes(50_000);
    closed.append([gone]);
    const goneView = closed.view(0, 50_000);
    closed.close(); // its descriptor is closed: the view is written from memory
    const { fd, received } = await pair();
    const sent = native.sendTo(fd, [before, after, goneView]);
    expect(sent).toBe(450_000);
    await until('the peer has every byte', () => received().length === 450_000);
    const got = received();
    expect(got.subarray(0, 200_000).equals(old)).toBe(true);
    expect(got.subarray(200_000, 201_000).equals(old.subarray(0, 1000))).toBe(true);
    expect(got.subarray(201_000, 400_000).equals(fresh)).toBe(true);
    expect(got.subarray(400_000).equals(gone)).toBe(true);
    f.close();
  });

  it('refuses what is not a descriptor and chunks', () => {
    expect(() => native.sendTo(-1, [Buffer.from('x')])).toThrow(/fd must be a non-negative integer/);
    expect(() => native.sendTo(1, ['x' as unknown as Buffer])).toThrow(/chunk 0 is not a Uint8Array/);
    expect(native.sendTo(1, [])).toBe(0);
  });
});

/** `chunks` without their first `skip` bytes. */
function restOf(chunks: readonly Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) {
    if (skip >= c.length) skip -= c.length;
    else {
      out.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
  }
  return out;
}
