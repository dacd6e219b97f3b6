import { createServer, connect, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { kcat } from '../helpers/kcat-cli.js';

interface Proxy {
  port: number;
  server: Server;
  /** Connections accepted so far. */
  accepted: () => number;
  /** Connections cut so far. */
  cuts: () => number;
  /** No more cuts from now on. */
  stopCutting: () => void;
}

/**
 * A TCP proxy listener in front of the broker. With a plan, it cuts the connection that is
 * carrying the client's bytes each time `every` more bytes have passed from clients to the
 * broker, `times` times in all: the cuts land mid-stream on a live connection, so the test knows
 * how many it caused.
 */
async function proxy(target: () => number, plan = { every: 0, times: 0 }): Promise<Proxy> {
  let accepted = 0;
  let cuts = 0;
  let sinceCut = 0;
  let cutting = plan.times > 0;
  const server = createServer((client) => {
    accepted++;
    const upstream = connect({ host: '127.0.0.1', port: target() });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (!cutting) return;
      sinceCut += chunk.length;
      if (sinceCut < plan.every) return;
      sinceCut = 0;
      cuts++;
      if (cuts === plan.times) cutting = false;
      end();
    });
    client.pipe(upstream).pipe(client);
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    server,
    accepted: () => accepted,
    cuts: () => cuts,
    stopCutting: () => (cutting = false),
  };
}

describe('librdkafka enable.idempotence=true under connection drops', () => {
  it('produces exactly N messages, in order, while its connections are cut', { timeout: 120_000 }, async () => {
    let brokerPort = 0;
    // 100,000 messages of 2 to 6 digits are over 1 MB of produce requests: five cuts, one after
    // every 150,000 bytes, all happen while kcat is still producing.
    const plan = { every: 150_000, times: 5 };
    // The broker advertises `cut`; clients also bootstrap through `spare`, whose connection is
    // left alone, because kcat gives up when every connection to the cluster is down at once.
    const cut = await proxy(() => brokerPort, plan);
    const spare = await proxy(() => brokerPort);
    const broker = await startBroker({ config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${cut.port}` } });
    brokerPort = Number(broker.listening.split(':').at(-1));
    try {
      const n = 100_000;
      const lines = Array.from({ length: n }, (_, i) => `m${i}`);
      const p = await kcat(['-b', `127.0.0.1:${spare.port},127.0.0.1:${cut.port}`, '-P', '-t', 'drops', '-X', 'enable.idempotence=true', '-X', 'linger.ms=0', '-X', 'batch.num.messages=50', '-X', 'message.timeout.ms=60000', '-X', 'reconnect.backoff.max.ms=100', '-X', 'queue.buffering.max.messages=20000'], lines.join('\n') + '\n', 90_000);
      cut.stopCutting();
      expect(p.code, p.stderr).toBe(0);
      expect(cut.cuts()).toBe(plan.times);
      // Every cut closed the connection producing through it, and producing went on: at least
      // one connection more than cuts.
      expect(cut.accepted()).toBeGreaterThanOrEqual(plan.times + 1);
      // Exactly once and in order: every message, no duplicate from the retried batches, no gap.
      const c = await kcat(['-b', `127.0.0.1:${cut.port}`, '-C', '-t', 'drops', '-e', '-o', 'beginning', '-f', '%o %s\n'], undefined, 60_000);
      expect(c.stdout.replace(/\n$/, '').split('\n')).toEqual(lines.map((l, i) => `${i} ${l}`));
    } finally {
      cut.server.close();
      spare.server.close();
      await broker.stop();
    }
  });
});
