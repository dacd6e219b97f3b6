/**
 * readTlsInto: a TLS server socket, once its handshake is done, has Node's TLS layer copy the
 * decrypted bytes straight into the frame reader's buffers instead of emitting `'data'` chunks.
 * Every frame must arrive byte for byte and in order: bytes that arrived before the switch, many
 * small frames in one TLS record, frames spanning records, frames large enough to be read into
 * their own buffer, and frames read while the reader holds them back (paused) and later resumed.
 */
import { readFileSync, rmSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { readTlsInto } from '../../src/broker/socket-reads.js';
import { FrameReader } from '../../src/protocol/frame-reader.js';
import { makePki } from '../../scripts/pki.js';
import { until } from '../helpers/until.js';

const pki = makePki();
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

/** A frame (4-byte size, then the body) whose body is a pattern distinct per frame. */
function frame(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(4 + size);
  b.writeInt32BE(size, 0);
  for (let i = 0; i < size; i++) b[4 + i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

describe('readTlsInto', () => {
  it('delivers every frame of a TLS stream byte for byte, in order, without a data event', async () => {
    // Sent before the server switches the socket: these wait in the socket's Readable buffer.
    const early = [frame(10, 1), frame(40_000, 2)];
    // Small frames many to a TLS record, frames across records, 1 MB frames read into their own buffer.
    const sizes = [0, 3, 100, 16 * 1024 - 4, 16 * 1024, 33_000, 1_000_000, 7, 8, 9, 300_000, 64, 1_048_576, 5];
    const late: Buffer[] = [];
    for (let round = 0; round < 3; round++) for (const [i, size] of sizes.entries()) late.push(frame(size, 100 * round + i + 10));
    const expected = [...early, ...late].map((f) => f.subarray(4));

    const received: Buffer[] = [];
    let dataEvents = 0;
    let holding = false;
    let reader: FrameReader | null = null;
    let serverSocket: TLSSocket | null = null;
    const server = createServer({ key: readFileSync(pki.serverKey), cert: readFileSync(pki.serverCert) }, (socket: TLSSocket) => {
      serverSocket = socket;
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ca: readFileSync(pki.caCert), servername: 'localhost' });
    client.on('error', () => {});
    await new Promise<void>((r) => client.once('secureConnect', r));
    for (const f of early) client.write(f);
    const socket = await until('the server socket to hold the early frames', () => (serverSocket !== null && serverSocket.readableLength >= 40_014 ? serverSocket : null));

    reader = new FrameReader({
      maxFrameBytes: 2 << 20,
      // A copy: frames assembled in the reader's scratch are views the next read overwrites.
      onFrame: (f) => {
        received.push(Buffer.from(f));
        // Hold the frames back after every tenth, as a connection does at its request limit.
        if (received.length % 10 === 0) holding = true;
      },
      onFail: (err) => {
        throw err;
      },
      paused: () => holding,
    });
    readTlsInto(socket, reader);
    socket.on('data', () => dataEvents++);

    for (const f of late) client.write(f);
    while (received.length < expected.length) {
      await until(`frame ${received.length + 1} of ${expected.length}`, () => holding || received.length === expected.length);
      if (holding) {
        holding = false;
        reader.resume();
      }
    }
    client.destroy();
    server.close();

    expect(received.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++) {
      expect(received[i]!.length, `frame ${i}`).toBe(expected[i]!.length);
      expect(received[i]!.equals(expected[i]!), `frame ${i}`).toBe(true);
    }
    expect(dataEvents).toBe(0);
  });
});
