import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { kcat } from '../helpers/kcat-cli.js';
import { makePki, type TestPki } from '../../scripts/pki.js';

describe('kcat (librdkafka) over TLS', () => {
  let pki: TestPki;
  let broker: RunningBroker;
  beforeAll(async () => {
    pki = makePki();
    broker = await startBroker({
      config: {
        listeners: 'SSL://127.0.0.1:0,MTLS://127.0.0.1:0',
        'listener.security.protocol.map': 'SSL:SSL,MTLS:SSL',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': pki.serverPem,
        'listener.name.mtls.ssl.client.auth': 'required',
        'listener.name.mtls.ssl.truststore.type': 'PEM',
        'listener.name.mtls.ssl.truststore.location': pki.caCert,
      },
    });
  });
  afterAll(async () => broker.stop());

  const ssl = (extra: string[] = []) => ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${pki.caCert}`, ...extra];
  const clientCert = (c: { key: string; cert: string }) => ['-X', `ssl.certificate.location=${c.cert}`, '-X', `ssl.key.location=${c.key}`];

  it('produces and consumes over SSL', async () => {
    const tls = broker.listeners[0]!;
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${'y'.repeat(i % 100)}`);
    const p = await kcat(['-b', tls.bootstrap, ...ssl(), '-P', '-t', 'tls-kcat'], lines.join('\n') + '\n');
    expect(p.code, p.stderr).toBe(0);
    const c = await kcat(['-b', tls.bootstrap, ...ssl(), '-C', '-t', 'tls-kcat', '-e', '-o', 'beginning']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim().split('\n')).toEqual(lines);
  });

  it('mTLS: a client certificate signed by the truststore is served; none, an untrusted or an expired one is refused', async () => {
    const mtls = broker.listeners[1]!;
    const ok = await kcat(['-b', mtls.bootstrap, ...ssl(clientCert(pki.client)), '-L', '-J']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).brokers).toEqual([expect.objectContaining({ id: 0, name: mtls.bootstrap })]);
    for (const bad of [[], clientCert(pki.untrustedClient), clientCert(pki.expiredClient)]) {
      const r = await kcat(['-b', mtls.bootstrap, ...ssl(bad), '-L', '-m', '1']);
      expect(r.code, r.stdout).not.toBe(0);
    }
  });

  it('the client refuses a broker whose certificate it does not trust', async () => {
    const r = await kcat(['-b', broker.listeners[0]!.bootstrap, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${pki.untrustedClient.cert}`, '-L', '-m', '1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/certificate verify failed/);
  });
});
