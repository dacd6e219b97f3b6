/**
 * How the broker reads a client's bytes. Node's server sockets hand each read over as a fresh
 * 64 KiB chunk, so a 1 MB produce request allocated its bytes twice (the chunks, then the frame
 * they were concatenated into), and that churn of buffers drove a major GC every ~100 ms under
 * load, the largest source of produce latency tails. With the native backend the accepted
 * socket is taken over: its descriptor is duplicated and reopened as a socket with `onread`,
 * so the kernel reads into the frame reader's buffers (a large frame straight into its own
 * buffer). Without it (portable backend, or STRAND_SOCKET_READS=stream), `'data'` chunks feed
 * the same reader.
 *
 * The listener must be created with `pauseOnConnect: true`, so nothing is read from the
 * accepted socket before it is taken over.
 */
import { closeSync } from 'node:fs';
import { type OnReadOpts, Socket, type SocketConstructorOpts } from 'node:net';
import { io } from '../io/index.js';
import type { FrameReader } from '../protocol/frame-reader.js';

/** The descriptor of an accepted socket, or -1 (Node keeps it on the socket's handle). */
function descriptorOf(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' ? fd : -1;
}

/** The socket to serve `accepted` on, its bytes going into `reader`. */
export function readInto(accepted: Socket, reader: FrameReader): Socket {
  const fd = descriptorOf(accepted);
  if (io.duplicateFd !== undefined && fd >= 0 && process.env.STRAND_SOCKET_READS !== 'stream') {
    let copy = -1;
    try {
      copy = io.duplicateFd(fd);
    } catch {
      // Out of descriptors, say: read the accepted socket the ordinary way.
    }
    if (copy >= 0) {
      // The Socket constructor takes `onread` (net.connect passes it through); the types only list it for connect.
      const options: SocketConstructorOpts & { onread: OnReadOpts } = { fd: copy, readable: true, writable: true, onread: { buffer: () => reader.next(), callback: (n) => reader.read(n) } };
      let socket: Socket | null = null;
      try {
        socket = new Socket(options);
      } catch {
        closeSync(copy); // not a socket Node can wrap: read the accepted one the ordinary way
      }
      if (socket !== null) {
        // Closes the original descriptor only; the connection lives on in `copy`.
        accepted.destroy();
        return socket;
      }
    }
  }
  accepted.on('data', (chunk: Buffer) => reader.push(chunk));
  accepted.resume();
  return accepted;
}
