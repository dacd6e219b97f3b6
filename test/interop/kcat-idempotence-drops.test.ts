import { createServer, connect, type Server, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { kcat } from '../helpers/kcat-cli.js';

/** A TCP proxy listener in front of the broker; `dropOne` cuts one of its live connections. */
async function proxy(target: () => number): Promise<{ port: number; dropOne: () => number; server: Server }> {
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: target() });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream).pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    server,
    dropOne: () => {
      const victim = [...pairs][0];
      if (victim === undefined) return 0;
      victim[0].destroy();
      victim[1].destroy();
      return 1;
    },
  };
}

describe('librdkafka enable.idempotence=true under connection drops', () => {
  it('produces exactly N messages, in order, while its connections are cut', { timeout: 120_000 }, async () => {
    let brokerPort = 0;
    // The broker advertises `cut`; clients also bootstrap through `spare`, whose connection is
    // left alone, because kcat gives up when every connection to the cluster is down at once.
    const cut = await proxy(() => brokerPort);
    const spare = await proxy(() => brokerPort);
    const broker = await startBroker({ config: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${cut.port}` } });
    brokerPort = Number(broker.listening.split(':').at(-1));
    try {
      const n = 100_000;
      const lines = Array.from({ length: n }, (_, i) => `m${i}`);
      let drops = 0;
      const dropper = setInterval(() => (drops += cut.dropOne()), 250);
      const p = await kcat(['-b', `127.0.0.1:${spare.port},127.0.0.1:${cut.port}`, '-P', '-t', 'drops', '-X', 'enable.idempotence=true', '-X', 'linger.ms=0', '-X', 'batch.num.messages=50', '-X', 'message.timeout.ms=60000', '-X', 'reconnect.backoff.max.ms=100', '-X', 'queue.buffering.max.messages=20000'], lines.join('\n') + '\n', 90_000);
      clearInterval(dropper);
      expect(p.code, p.stderr).toBe(0);
      expect(drops).toBeGreaterThan(0);
      const c = await kcat(['-b', `127.0.0.1:${cut.port}`, '-C', '-t', 'drops', '-e', '-o', 'beginning', '-f', '%s\n'], undefined, 60_000);
      expect(c.stdout.replace(/\n$/, '').split('\n')).toEqual(lines);
    } finally {
      cut.server.close();
      spare.server.close();
      await broker.stop();
    }
  });
});
