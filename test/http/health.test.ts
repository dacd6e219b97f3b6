/**
 * /health and /ready as an orchestrator probes them, and where the admin listener binds: never a
 * public interface unless asked, and not at all unless `http.listeners` is set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { Broker } from '../../src/broker/broker.js';
import { BrokerConfig } from '../../src/broker/config.js';
import { startBroker } from '../../src/broker/index.js';
import { AdminHttp, parseHttpListeners } from '../../src/http/server.js';

const quiet = pino({ level: 'silent' });
const status = async (url: string): Promise<[number, unknown]> => {
  const res = await fetch(url);
  return [res.status, await res.json()];
};

describe('admin listener', () => {
  it('is off unless http.listeners is set', async () => {
    const broker = await startBroker({ logLevel: 'silent' });
    try {
      expect(broker.http).toEqual([]);
    } finally {
      await broker.stop();
    }
  });

  it('binds 127.0.0.1 when a listener names no host, and refuses what it cannot serve', () => {
    expect(parseHttpListeners('http://:8080')).toEqual([{ scheme: 'http', host: '127.0.0.1', port: 8080 }]);
    expect(parseHttpListeners('https://:8443')).toEqual([{ scheme: 'https', host: '127.0.0.1', port: 8443 }]);
    expect(parseHttpListeners('http://0.0.0.0:9000, HTTPS://[::1]:0')).toEqual([{ scheme: 'http', host: '0.0.0.0', port: 9000 }, { scheme: 'https', host: '::1', port: 0 }]);
    expect(() => parseHttpListeners('ftp://127.0.0.1:8443')).toThrow(/only http:\/\/ and https:\/\/ are served/);
    expect(() => parseHttpListeners('127.0.0.1:8080')).toThrow(/is not http:\/\/host:port or https:\/\/host:port/);
    expect(() => parseHttpListeners('http://127.0.0.1:70000')).toThrow(/above 65535/);
  });

  it('is up but not ready until a broker is attached, ready while it runs, not ready once it drains', async () => {
    const admin = await AdminHttp.start({ listeners: ['http://:0'] }, quiet);
    const base = admin.addresses()[0]!;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    try {
      expect(await status(`${base}/health`)).toEqual([200, { status: 'UP' }]);
      expect(await status(`${base}/ready`)).toEqual([503, { status: 'STARTING', ready: false }]);
      // Everything but the probes and /metrics waits for the broker.
      expect((await status(`${base}/api/cluster`))[0]).toBe(503);
      expect((await fetch(`${base}/metrics`)).status).toBe(200);
      const dataDir = mkdtempSync(join(tmpdir(), 'strand-http-'));
      const broker = await Broker.start(new BrokerConfig(new Map([['log.dirs', dataDir], ['listeners', 'PLAINTEXT://127.0.0.1:0']])), quiet);
      try {
        admin.attach(broker);
        expect(await status(`${base}/ready`)).toEqual([200, { status: 'READY', ready: true }]);
        expect((await status(`${base}/api/cluster`))[0]).not.toBe(503);
        admin.draining();
        expect(await status(`${base}/ready`)).toEqual([503, { status: 'DRAINING', ready: false }]);
        expect(await status(`${base}/health`)).toEqual([200, { status: 'UP' }]);
      } finally {
        await broker.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    } finally {
      await admin.close();
    }
  });

  it('serves a started broker ready, and stops with it', async () => {
    const broker = await startBroker({ logLevel: 'silent', config: { 'http.listeners': 'http://127.0.0.1:0' } });
    const base = broker.http[0]!;
    expect(await status(`${base}/ready`)).toEqual([200, { status: 'READY', ready: true }]);
    expect(await status(`${base}/nope`)).toEqual([404, { error_code: 404, message: 'no route GET /nope' }]);
    await broker.stop();
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });
});
