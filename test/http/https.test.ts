/**
 * https admin listeners from `http.ssl.*` (the Kafka listeners' TLS setup, with a CA and
 * certificates made for the test), client certificates as principals through
 * `http.ssl.principal.mapping.rules` (http.authentication.method=MTLS), and certificate reload.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConfig } from '../../src/broker/config.js';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { AdminHttp } from '../../src/http/server.js';
import { makePki, type TestPki } from '../../scripts/pki.js';
import { until } from '../helpers/until.js';

interface Answer {
  status: number;
  challenge: string | undefined;
  body: any;
  /** CN of the server certificate the connection saw. */
  serverCn: string;
}

function call(url: string, pki: TestPki, client: { key: string; cert: string } | null, method = 'GET', body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      agent: false,
      ca: readFileSync(pki.caCert),
      ...(client === null ? {} : { key: readFileSync(client.key), cert: readFileSync(client.cert) }),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    }, (res) => {
      const chunks: Buffer[] = [];
      const serverCn = String((res.socket as TLSSocket).getPeerCertificate().subject.CN);
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, challenge: res.headers['www-authenticate'], body: text === '' ? null : JSON.parse(text), serverCn });
      });
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

let pki: TestPki;
beforeAll(() => {
  pki = makePki();
});

describe('https admin listener with client certificates', () => {
  let broker: RunningBroker;
  let base: string;
  let plain: string;
  let keystore: string;

  beforeAll(async () => {
    keystore = join(pki.dir, 'http-keystore.pem');
    copyFileSync(pki.serverPem, keystore);
    broker = await startBroker({
      logLevel: 'silent',
      config: {
        'http.listeners': 'https://127.0.0.1:0,http://127.0.0.1:0',
        'http.ssl.keystore.location': keystore,
        'http.ssl.truststore.location': pki.caCert,
        'http.ssl.client.auth': 'requested',
        'http.ssl.principal.mapping.rules': 'RULE:^CN=([^,]+),.*$/$1/L,DEFAULT',
        'http.authentication.method': 'MTLS',
        'http.super.users': 'User:bob',
      },
    });
    [base, plain] = broker.http as [string, string];
  });
  afterAll(async () => broker?.stop());

  it('serves https with the configured certificate, and the probes without a client certificate', async () => {
    expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(plain).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await call(`${base}/ready`, pki, null)).toEqual({ status: 200, challenge: undefined, body: { status: 'READY', ready: true }, serverCn: 'strand' });
    expect((await call(`${base}/health`, pki, pki.untrustedClient)).status).toBe(200);
  });

  it('takes the mapped certificate subject as the principal, and refuses what is not a trusted certificate', async () => {
    const topics = await call(`${base}/api/topics`, pki, pki.client);
    expect(topics.status).toBe(200);
    // CN=alice,OU=Clients,O=Strand,C=US mapped to alice: not a super user, so no changes.
    expect((await call(`${base}/api/topics`, pki, pki.client, 'POST', { name: 'by-alice' })).body).toEqual({ error_code: 403, message: 'User:alice is not authorized to create topic by-alice' });
    const none = await call(`${base}/api/topics`, pki, null);
    expect(none).toMatchObject({ status: 401, challenge: 'Certificate realm="strand"', body: { error_code: 401, message: 'authentication required: a client certificate signed by a CA of http.ssl.truststore.location' } });
    const untrusted = await call(`${base}/api/topics`, pki, pki.untrustedClient);
    expect(untrusted.status).toBe(401);
    expect(untrusted.body.message).toMatch(/^the client certificate is not accepted: /);
    expect((await call(`${base}/api/topics`, pki, pki.expiredClient)).body.message).toBe('the client certificate is not accepted: CERT_HAS_EXPIRED');
    // The plain http listener cannot carry a certificate.
    const res = await fetch(`${plain}/api/topics`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error_code: 401, message: 'authentication required: a client certificate, on an https listener' });
  });

  it('reloads a changed certificate for new connections', async () => {
    copyFileSync(pki.server2Pem, keystore);
    await until('the second certificate served', async () => (await call(`${base}/health`, pki, null)).serverCn === 'strand-2', 15_000);
  });
});

describe('https settings', () => {
  const quiet = pino({ level: 'silent' });
  const start = (config: Record<string, string>) => AdminHttp.start({ listeners: [config['http.listeners']!], config: new BrokerConfig(new Map(Object.entries(config))) }, quiet);

  it('refuses an https listener without a key, or with files it cannot read, naming the http.ssl setting', async () => {
    await expect(start({ 'http.listeners': 'https://127.0.0.1:0' })).rejects.toThrow(/https:\/\/ listener but http\.ssl\.keystore\.location is not set/);
    await expect(start({ 'http.listeners': 'https://127.0.0.1:0', 'http.ssl.keystore.location': '/nonexistent/key.pem' })).rejects.toThrow(/^http\.ssl\.keystore\.location=\/nonexistent\/key\.pem \(the https admin listeners\): cannot read it/);
  });

  it('serves a PKCS12 key store and binds 127.0.0.1 when the listener names no host', async () => {
    const admin = await start({ 'http.listeners': 'https://:0', 'http.ssl.keystore.type': 'PKCS12', 'http.ssl.keystore.location': pki.serverP12, 'http.ssl.keystore.password': 'store-pass' });
    try {
      const base = admin.addresses()[0]!;
      expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(await call(`${base}/health`, pki, null)).toEqual({ status: 200, challenge: undefined, body: { status: 'UP' }, serverCn: 'strand' });
    } finally {
      await admin.close();
    }
  });
});
