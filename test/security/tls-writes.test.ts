/**
 * writeWithoutJoining: a TLS socket's joined writes (a corked response, writes queued behind one
 * in flight) go out one write at a time, large chunks by themselves in 256 KiB slices and small
 * ones joined, so Node never copies a whole response into one buffer. The client must receive
 * exactly the bytes written, in order, through every shape of batch.
 */
import { readFileSync, rmSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { writeWithoutJoining } from '../../src/security/tls-writes.js';
import { makePki } from '../../scripts/pki.js';

const pki = makePki();
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

/** A distinct byte pattern per chunk, so a reordered or dropped slice shows. */
const chunk = (size: number, seed: number) => {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
};

describe('writeWithoutJoining', () => {
  it('delivers corked and queued writes of small and multi-slice chunks byte for byte, in order', async () => {
    const sizes = [60, 5, 1_000_000, 12, 16 * 1024, 16 * 1024 - 1, 3, 256 * 1024, 256 * 1024 + 1, 40, 700_000];
    const rounds = 3;
    const expected: Buffer[] = [];
    const server = createServer({ key: readFileSync(pki.serverKey), cert: readFileSync(pki.serverCert) }, (socket: TLSSocket) => {
      writeWithoutJoining(socket);
      for (let r = 0; r < rounds; r++) {
        // Corked rounds reach _writev at uncork; the others queue behind the first write in flight.
        if (r !== 1) socket.cork();
        for (const [i, size] of sizes.entries()) socket.write(chunk(size, r * 100 + i));
        if (r !== 1) socket.uncork();
      }
      socket.end();
    });
    for (let r = 0; r < rounds; r++) for (const [i, size] of sizes.entries()) expected.push(chunk(size, r * 100 + i));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const received: Buffer[] = [];
    const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ca: readFileSync(pki.caCert), servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      client.on('data', (d: Buffer) => received.push(d));
      client.on('end', resolve);
      client.on('error', reject);
    });
    client.destroy();
    server.close();
    const got = Buffer.concat(received);
    const want = Buffer.concat(expected);
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true);
  });
});
