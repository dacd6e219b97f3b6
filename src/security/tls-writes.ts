/**
 * Writes to a TLS socket without the copy Node makes of joined writes. A TLS socket's writev
 * (several chunks written together: a corked response, or writes queued behind one in flight)
 * reaches Node's TLSWrap, which copies every chunk into one new buffer before encrypting it, so a
 * Fetch response of zero-copy views of a mapped segment was copied whole once more, into memory
 * V8 counts as external, which also drove major GCs (in a TLS consume profile: memmove 14% and
 * GC marking about 20% of the broker's cycles). Here the joined chunks are written one write at a
 * time instead: a large chunk by itself (encrypted straight from the mapping, as issue 12 asks),
 * and the small ones between them (headers, small answers) joined into one buffer, which is cheap
 * and keeps their TLS records few.
 */
import type { TLSSocket } from 'node:tls';

/** Chunks from this size are written by themselves; smaller neighbours are joined (copied). */
const ALONE_BYTES = 16 * 1024;

/**
 * A large chunk is written in slices of this size: Node encrypts a whole write at once into its
 * output buffer, memory V8 counts as external (NodeBIO), so a Fetch response of several MiB
 * written in one piece held as much again in ciphertext and hastened major GCs.
 */
const SLICE_BYTES = 256 * 1024;

/** The encoding Node's Writable gives Buffer chunks (not one of the string encodings the types list). */
const BUFFER = 'buffer' as BufferEncoding;

type WriteCallback = (error?: Error | null) => void;
interface Queued {
  chunk: unknown;
  encoding: BufferEncoding;
}

export function writeWithoutJoining(socket: TLSSocket): void {
  const writev = socket._writev;
  const write = socket._write;
  if (writev === undefined) return;
  socket._writev = function (this: TLSSocket, chunks: Queued[], done: WriteCallback): void {
    const groups: Buffer[] = [];
    let small: Buffer[] = [];
    let smallBytes = 0;
    for (const { chunk } of chunks) {
      if (!Buffer.isBuffer(chunk)) {
        writev.call(this, chunks, done); // strings: Node's own path
        return;
      }
      if (chunk.length < ALONE_BYTES) {
        small.push(chunk);
        smallBytes += chunk.length;
        continue;
      }
      if (small.length > 0) groups.push(small.length === 1 ? small[0]! : Buffer.concat(small, smallBytes));
      small = [];
      smallBytes = 0;
      for (let at = 0; at < chunk.length; at += SLICE_BYTES) groups.push(chunk.subarray(at, at + SLICE_BYTES));
    }
    if (small.length > 0) groups.push(small.length === 1 ? small[0]! : Buffer.concat(small, smallBytes));
    if (groups.length === 1) {
      write.call(this, groups[0], BUFFER, done);
      return;
    }
    // One after another: each write completes before the next, as Node's own queue would run them.
    let i = 0;
    const next: WriteCallback = (err) => {
      if (err) done(err);
      else if (i === groups.length) done();
      else write.call(this, groups[i++], BUFFER, next);
    };
    next();
  };
}
