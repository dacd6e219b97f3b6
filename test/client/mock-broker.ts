/**
 * A scripted Kafka peer for connection tests: reads request frames with the protocol's own
 * frame reader and lets each test decide what (if anything) to answer and how to write it.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { decodeRequestBody, readRequestFrame, type RequestFrame } from '../../src/protocol/frame.js';

export interface MockRequest {
  frame: RequestFrame;
  body: unknown;
  socket: Socket;
}

export type MockHandler = (req: MockRequest) => Buffer[] | null | Promise<Buffer[] | null>;

export interface MockBroker {
  port: number;
  /** Every request received, in order. */
  requests: MockRequest[];
  sockets: Set<Socket>;
  /** How to write a response (default: all chunks at once). */
  write: (socket: Socket, chunks: Buffer[]) => void;
  close(): Promise<void>;
}

export async function startMockBroker(handler: MockHandler): Promise<MockBroker> {
  const sockets = new Set<Socket>();
  const requests: MockRequest[] = [];
  const mock: MockBroker = {
    port: 0,
    requests,
    sockets,
    write: (socket, chunks) => socket.write(Buffer.concat(chunks)),
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    // Answer strictly in order, as a broker does, even when a handler is slow.
    let queue = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const size = buffered.readInt32BE(0);
        const frame = readRequestFrame(buffered.subarray(4, 4 + size));
        buffered = buffered.subarray(4 + size);
        const body = frame.supported ? decodeRequestBody(frame) : undefined;
        const req = { frame, body, socket };
        requests.push(req);
        queue = queue.then(async () => {
          const out = await handler(req);
          if (out !== null && !socket.destroyed) mock.write(socket, out);
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mock.port = (server.address() as AddressInfo).port;
  return mock;
}
