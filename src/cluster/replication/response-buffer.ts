/**
 * The one buffer a replica fetcher's Fetch responses are read into, reused from response to
 * response. A fetcher has one request out at a time and is done with a response's batches when
 * it has appended them (the log copies them), so the next large response can take the same
 * memory. Fresh buffers of a few hundred KiB per response cost more than their bytes: each is
 * new memory whose pages fault in as the socket read fills them (measured here: five times the
 * CPU of reading the same responses into a recycled buffer).
 *
 * Frames below RECYCLE_MIN_BYTES (the answers to ListOffsets and OffsetForLeaderEpoch, empty
 * fetches) get their own small buffers, as does any frame arriving while the buffer is lent out.
 * Bounded by replica.fetch.response.max.bytes (plus a frame header): the connection refuses larger frames.
 */
const RECYCLE_MIN_BYTES = 64 * 1024;

export class ResponseBuffer {
  private buffer: Buffer | null = null;
  private lent = false;

  /** For ConnectionOptions.allocateResponse. */
  readonly allocate = (size: number): Buffer => {
    if (this.lent || size < RECYCLE_MIN_BYTES) return Buffer.allocUnsafe(size);
    if (this.buffer === null || this.buffer.length < size) this.buffer = Buffer.allocUnsafeSlow(Math.max(size, 2 * (this.buffer?.length ?? 0)));
    this.lent = true;
    return this.buffer.subarray(0, size);
  };

  /** The response read into the buffer (if any) is no longer used. */
  release(): void {
    this.lent = false;
  }
}
