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
 *
 * TLS sockets (readTlsInto) get the same: Node hands each decrypted record (up to 16 KiB) to
 * `'data'` as a freshly allocated buffer, pushed through the socket's Readable, which the reader
 * then copied into the frame; a TLS produce cost the broker about three times the CPU of a
 * plaintext one, most of it there. Node's TLS layer can instead copy each decrypted record into a
 * caller's buffer (the `onread` path of net.Socket), but only offers it to client sockets; a
 * server socket is switched to it here after its handshake.
 */
import { closeSync } from 'node:fs';
import { type OnReadOpts, Socket, type SocketConstructorOpts } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { io } from '../io/index.js';
import type { FrameReader } from '../protocol/frame-reader.js';

/** The descriptor of an accepted socket, or -1 (Node keeps it on the socket's handle). */
export function descriptorOf(socket: Socket): number {
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

/** The symbols under which net.Socket keeps its `onread` buffer, generator and callback (Node 20: set to null on every socket). */
function onreadSlots(socket: Socket): { buffer: symbol; generate: symbol; callback: symbol } | null {
  let buffer: symbol | undefined;
  let generate: symbol | undefined;
  let callback: symbol | undefined;
  for (const s of Object.getOwnPropertySymbols(socket)) {
    if (s.description === 'kBuffer') buffer = s;
    else if (s.description === 'kBufferGen') generate = s;
    else if (s.description === 'kBufferCb') callback = s;
  }
  return buffer && generate && callback ? { buffer, generate, callback } : null;
}

/**
 * Serve a TLS socket whose handshake is done: its decrypted bytes are copied by Node's TLS layer
 * straight into `reader`'s buffers (a large frame's own buffer, else the reader's scratch), as
 * net.Socket's `onread` does. Where this Node does not have the parts it relies on (or with
 * STRAND_SOCKET_READS=stream), its `'data'` chunks feed the reader instead.
 */
export function readTlsInto(socket: TLSSocket, reader: FrameReader): void {
  const slots = onreadSlots(socket);
  const handle = (socket as unknown as { _handle?: { useUserBuffer?: (b: Buffer) => void } })._handle;
  if (slots === null || typeof handle?.useUserBuffer !== 'function' || process.env.STRAND_SOCKET_READS === 'stream') {
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.resume();
    return;
  }
  const own = socket as unknown as Record<symbol, unknown>;
  // Bytes decrypted before the switch wait in the Readable's buffer: they come first.
  for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) reader.push(chunk);
  own[slots.callback] = (n: number) => reader.read(n);
  own[slots.generate] = () => reader.next();
  const first = reader.next();
  own[slots.buffer] = first;
  handle.useUserBuffer(first);
  // With the buffer set, pause() and resume() stop and start the handle's reads (net.Socket's onread path).
  socket.resume();
}
