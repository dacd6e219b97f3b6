/** Reading a broker's answers off a raw socket that a test left unread (to make it a slow client). */
import type { Socket } from 'node:net';

/** Reads `count` response frames (without their size prefixes) from a socket that has not been read yet. */
export function readFrames(socket: Socket, count: number): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  let buffered = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${frames.length} of ${count} responses`)), 60_000);
    socket.on('data', (d: Buffer) => {
      buffered = buffered.length === 0 ? d : Buffer.concat([buffered, d]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const size = buffered.readInt32BE(0);
        frames.push(buffered.subarray(4, 4 + size));
        buffered = buffered.subarray(4 + size);
      }
      if (frames.length === count) {
        clearTimeout(timer);
        resolve(frames);
      }
    });
    socket.resume();
  });
}
