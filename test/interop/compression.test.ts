/**
 * Byte compatibility of strand's codecs with librdkafka (kcat) through a strand broker:
 * - kcat -z X produces; the batches on disk carry codec X, strand's decoders read every record,
 *   and kcat consumes them back;
 * - kafkajs with strand's codecs as its compression plugins produces; the batches on disk are
 *   strand's encodings, and kcat (librdkafka) decodes them.
 *
 * librdkafka 2.0.2 (Debian's) compresses gzip, snappy and lz4 only if the broker's ApiVersions
 * admits Produce v0 (rdkafka_msgset_writer.c checks the version range [0, 0] for them), and
 * strand serves Produce from v3, as Kafka 4 does. Without that it logs "Broker does not support
 * compression type" and sends the batch uncompressed. So kcat talks to the broker through a
 * proxy that rewrites Produce's minimum version in ApiVersions responses to 0; nothing else is
 * touched, and kcat never sends a Produce below v3.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CompressionTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { isXerial } from '../../src/format/codec-snappy.js';
import { codecFor } from '../../src/format/codecs.js';
import { readBatchRecords } from '../../src/format/record-batch.js';
import type { StoredRecord } from '../../src/format/record.js';
import { kafkajs } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat-cli.js';

const require = createRequire(import.meta.url);
const { Codecs } = require('kafkajs/src/protocol/message/compression/index.js');

const CODECS = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

// strand's codecs as kafkajs's compression plugins, so what kafkajs sends is strand's encoding.
for (const id of [2, 3, 4]) {
  Codecs[id] = () => ({
    compress: async (encoder: { buffer: Buffer }) => codecFor(id).compress(encoder.buffer),
    decompress: async (buf: Buffer) => codecFor(id).decompress(buf),
  });
}

/** Every batch in the partition's segment files: its codec and its records, decoded by strand. */
function onDisk(dataDir: string, topic: string): Array<{ codec: number; xerial: boolean; records: StoredRecord[] }> {
  const dir = join(dataDir, `${topic}-0`);
  const out: Array<{ codec: number; xerial: boolean; records: StoredRecord[] }> = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const buf = readFileSync(join(dir, f));
    for (let pos = 0; pos + 61 <= buf.length;) {
      const size = buf.readInt32BE(pos + 8) + 12;
      if (size <= 12) break; // preallocated tail
      const records: StoredRecord[] = [];
      readBatchRecords(buf, pos, size, records);
      out.push({ codec: buf.readInt16BE(pos + 21) & 7, xerial: isXerial(buf, pos + 61), records });
      pos += size;
    }
  }
  return out;
}

/** Split a byte stream into Kafka frames (int32 size + body), calling `onFrame` with each whole frame. */
function framer(onFrame: (frame: Buffer) => Buffer): (chunk: Buffer) => Buffer[] {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const out: Buffer[] = [];
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const size = 4 + pending.readInt32BE(0);
      out.push(onFrame(Buffer.from(pending.subarray(0, size))));
      pending = pending.subarray(size);
    }
    return out;
  };
}

/** A proxy to `target` that makes ApiVersions responses admit Produce v0 (see the file comment). */
async function produceV0Proxy(target: number): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    const apiVersionsRequests = new Map<number, number>(); // correlation id -> request version
    const up = framer((f) => {
      if (f.readInt16BE(4) === 18) apiVersionsRequests.set(f.readInt32BE(8), f.readInt16BE(6));
      return f;
    });
    const down = framer((f) => {
      const version = apiVersionsRequests.get(f.readInt32BE(4));
      if (version === undefined) return f;
      apiVersionsRequests.delete(f.readInt32BE(4));
      const flexible = version >= 3;
      let pos = 10;
      let count: number;
      if (flexible) {
        count = f[pos++]! - 1; // compact array length, < 128 entries
      } else {
        count = f.readInt32BE(pos);
        pos += 4;
      }
      for (let i = 0; i < count; i++, pos += flexible ? 7 : 6) if (f.readInt16BE(pos) === 0) f.writeInt16BE(0, pos + 2);
      return f;
    });
    client.on('data', (d: Buffer) => up(d).forEach((f) => upstream.write(f)));
    upstream.on('data', (d: Buffer) => down(d).forEach((f) => client.write(f)));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const lines = (tag: string) => Array.from({ length: 400 }, (_, i) => `${tag}-key-${i}:${tag} value ${i} ${'lorem ipsum '.repeat(1 + (i % 7))}end`);

describe('compression interop with librdkafka (kcat)', () => {
  let broker: RunningBroker;
  let proxy: Awaited<ReturnType<typeof produceV0Proxy>>;
  beforeAll(async () => {
    const port = await freePort();
    proxy = await produceV0Proxy(port);
    broker = await startBroker({ port, config: { 'num.partitions': '1', 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` } });
  });
  afterAll(async () => {
    for (const s of proxy.sockets) s.destroy();
    await new Promise((r) => proxy.server.close(r));
    await broker.stop();
  });

  it.each(Object.keys(CODECS) as Array<keyof typeof CODECS>)('kcat -z %s produces; strand decodes the stored batches and kcat reads them back', async (codec) => {
    const topic = `kcat-${codec}`;
    const input = lines(codec);
    // A batch sent early with a record or two may come out larger compressed, and librdkafka then
    // sends it uncompressed (it did, once, under load with linger.ms=50): a long linger keeps the
    // records together (kcat's flush at the end of input still waits for the linger).
    const p = await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-K:', '-z', codec, '-X', 'linger.ms=500'], input.join('\n') + '\n');
    expect(p.code, p.stderr).toBe(0);
    const batches = onDisk(broker.dataDir, topic);
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.every((b) => b.codec === CODECS[codec])).toBe(true); // compressed, not sent plain
    if (codec === 'snappy') expect(batches.every((b) => !b.xerial)).toBe(true); // librdkafka writes raw snappy: our raw read path
    const records = batches.flatMap((b) => b.records);
    expect(records.map((r) => `${r.key}:${r.value}`)).toEqual(input);
    expect(records.map((r) => r.offset)).toEqual(input.map((_, i) => i));
    const c = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%k:%s\n']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim().split('\n')).toEqual(input);
  });

  it.each(Object.keys(CODECS) as Array<keyof typeof CODECS>)('kafkajs with strand\'s %s codec produces; kcat (librdkafka) decodes it', async (codec) => {
    const topic = `ours-${codec}`;
    const input = lines(`ours-${codec}`);
    const producer = kafkajs(broker.bootstrap).producer({ allowAutoTopicCreation: true });
    await producer.connect();
    for (let i = 0; i < input.length; i += 100) {
      await producer.send({
        topic, acks: -1, compression: CompressionTypes[codec === 'gzip' ? 'GZIP' : codec === 'snappy' ? 'Snappy' : codec === 'lz4' ? 'LZ4' : 'ZSTD'],
        messages: input.slice(i, i + 100).map((l) => ({ key: l.slice(0, l.indexOf(':')), value: l.slice(l.indexOf(':') + 1) })),
      });
    }
    await producer.disconnect();
    const batches = onDisk(broker.dataDir, topic);
    expect(batches.map((b) => b.codec)).toEqual([CODECS[codec], CODECS[codec], CODECS[codec], CODECS[codec]]);
    if (codec === 'snappy') expect(batches.every((b) => b.xerial)).toBe(true); // ours: xerial, read by librdkafka
    const c = await kcat(['-b', broker.bootstrap, '-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%o %k:%s\n']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim().split('\n')).toEqual(input.map((l, i) => `${i} ${l}`));
  });
});
