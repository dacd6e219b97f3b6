/** The load generator's connection: frames split anywhere by the network arrive whole and in order. */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { WireConnection } from '../../src/perf/wire.js';

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

function frame(body: Buffer): Buffer {
  const f = Buffer.allocUnsafe(4 + body.length);
  f.writeInt32BE(body.length, 0);
  body.copy(f, 4);
  return f;
}

it.each([false, true])('delivers every response frame whole, in order, however the bytes are split (reuseFrames %s)', async (reuseFrames) => {
  // Sizes around the reader's thresholds: empty, tiny, a split size prefix, scratch-sized, large.
  const sizes = [0, 1, 3, 100, 4096, 32 * 1024 - 1, 32 * 1024, 70_000, 256 * 1024 + 5, 3 * 1024 * 1024, 7, 0, 12];
  for (let i = 0; i < 40; i++) sizes.push(Math.floor(Math.random() * 400_000));
  const bodies = sizes.map((n) => randomBytes(n));
  const stream = Buffer.concat(bodies.map(frame));
  const server = createServer((socket) => {
    socket.once('data', async () => {
      // Write the whole stream in random pieces, some 1-3 bytes long, with pauses between some.
      for (let pos = 0; pos < stream.length;) {
        const n = Math.random() < 0.2 ? 1 + Math.floor(Math.random() * 3) : 1 + Math.floor(Math.random() * 200_000);
        socket.write(stream.subarray(pos, pos + n));
        pos += n;
        if (Math.random() < 0.1) await new Promise((r) => setTimeout(r, 1));
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const conn = await WireConnection.open('127.0.0.1', (server.address() as { port: number }).port, { reuseFrames });
  const got: Buffer[] = [];
  const memory = new Set<ArrayBufferLike>();
  const done = new Promise<void>((resolve, reject) => {
    for (let i = 0; i < bodies.length; i++) {
      conn.send(i === 0 ? [Buffer.from([0, 0, 0, 0])] : [], (res, err) => {
        if (err) return reject(err);
        if (res!.length >= 32 * 1024) memory.add(res!.buffer);
        got.push(Buffer.from(res!));
        if (got.length === bodies.length) resolve();
      });
    }
  });
  await done;
  conn.close();
  expect(got.length).toBe(bodies.length);
  for (let i = 0; i < bodies.length; i++) expect(got[i]!.equals(bodies[i]!), `frame ${i} of ${sizes[i]} bytes`).toBe(true);
  // Reused: large frames land in a buffer that only grows (doubling), so a handful of them in all.
  const large = sizes.filter((n) => n >= 32 * 1024).length;
  if (reuseFrames) expect(memory.size).toBeLessThanOrEqual(8);
  else expect(memory.size).toBe(large);
});
