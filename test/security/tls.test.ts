import { X509Certificate } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { mapPrincipal, parseMappingRules, subjectDn } from '../../src/security/principal.js';
import { makePki, type TestPki } from '../../scripts/pki.js';
import { probeTls } from './tls-client.js';

let pki: TestPki;
beforeAll(() => {
  pki = makePki();
});

const sslConfig = (extra: Record<string, string> = {}) => ({
  listeners: 'SSL://127.0.0.1:0',
  'ssl.keystore.type': 'PEM',
  'ssl.keystore.location': pki.serverPem,
  'group.initial.rebalance.delay.ms': '0',
  ...extra,
});

describe('TLS listeners', () => {
  let broker: RunningBroker;
  afterAll(async () => broker?.stop());

  it('kafkajs produces and consumes through an SSL listener (fetch views written to a TLS socket)', async () => {
    broker = await startBroker({ config: sslConfig() });
    expect(broker.listeners[0]!.securityProtocol).toBe('SSL');
    const kafka = new Kafka({ clientId: 'tls', brokers: [broker.bootstrap], ssl: { ca: [readFileSync(pki.caCert)] }, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    const values = Array.from({ length: 200 }, (_, i) => `value-${i}-${'x'.repeat(i * 10)}`);
    await producer.send({ topic: 'tls', messages: values.map((value) => ({ value })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'tls-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'tls', fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(message.value!.toString());
          if (got.length === values.length) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(got).toEqual(values);
  });

  it('a plaintext client cannot talk to an SSL listener', async () => {
    const { RawClient } = await import('../helpers/raw-client.js');
    const c = await RawClient.open(broker.bootstrap);
    c.write(Buffer.from([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0, 0]));
    expect(await c.closedByBroker(3000)).toBe(true);
  });
});

describe('client certificates (ssl.client.auth)', () => {
  it('required: a certificate signed by the truststore is accepted; none, another CA, or an expired one are refused', async () => {
    const broker = await startBroker({ config: sslConfig({ 'ssl.client.auth': 'required', 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': pki.caCert }) });
    try {
      const ca = readFileSync(pki.caCert);
      const withCert = (c: { key: string; cert: string }) => ({ ca, key: readFileSync(c.key), cert: readFileSync(c.cert) });
      expect((await probeTls(broker.port, withCert(pki.client))).answered).toBe(true);
      expect((await probeTls(broker.port, { ca })).answered).toBe(false);
      expect((await probeTls(broker.port, withCert(pki.untrustedClient))).answered).toBe(false);
      expect((await probeTls(broker.port, withCert(pki.expiredClient))).answered).toBe(false);
    } finally {
      await broker.stop();
    }
  });

  it('requested: no certificate is served as ANONYMOUS, an untrusted one is refused', async () => {
    const broker = await startBroker({ config: sslConfig({ 'listener.name.ssl.ssl.client.auth': 'requested', 'ssl.truststore.type': 'PEM', 'ssl.truststore.certificates': readFileSync(pki.caCert, 'utf8') }) });
    try {
      const ca = readFileSync(pki.caCert);
      expect((await probeTls(broker.port, { ca })).answered).toBe(true);
      expect((await probeTls(broker.port, { ca, key: readFileSync(pki.client.key), cert: readFileSync(pki.client.cert) })).answered).toBe(true);
      expect((await probeTls(broker.port, { ca, key: readFileSync(pki.untrustedClient.key), cert: readFileSync(pki.untrustedClient.cert) })).answered).toBe(false);
    } finally {
      await broker.stop();
    }
  });

  it('ssl.principal.mapping.rules: no matching rule refuses the connection', async () => {
    const broker = await startBroker({ config: sslConfig({ 'ssl.client.auth': 'required', 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': pki.caCert, 'ssl.principal.mapping.rules': 'RULE:^CN=(.*?),OU=Admins.*$/$1/' }) });
    try {
      const ca = readFileSync(pki.caCert);
      expect((await probeTls(broker.port, { ca, key: readFileSync(pki.client.key), cert: readFileSync(pki.client.cert) })).answered).toBe(false);
    } finally {
      await broker.stop();
    }
  });

  it('the principal is the RFC 2253 subject, mapped as Kafka maps it', () => {
    const dn = subjectDn(new X509Certificate(readFileSync(pki.client.cert)));
    expect(dn).toBe('CN=alice,OU=Clients,O=Strand,C=US');
    expect(mapPrincipal(parseMappingRules('DEFAULT'), dn)).toBe('CN=alice,OU=Clients,O=Strand,C=US');
    expect(mapPrincipal(parseMappingRules('RULE:^CN=(.*?),OU=(.*?),O=(.*?),C=(.*?)$/$1@$3/U,DEFAULT'), dn)).toBe('ALICE@STRAND');
    expect(mapPrincipal(parseMappingRules('RULE:^CN=(.*?),OU=Admins.*$/$1/'), dn)).toBe(null);
  });
});

describe('keystore forms', () => {
  const served = async (config: Record<string, string>) => {
    const broker = await startBroker({ config: { listeners: 'SSL://127.0.0.1:0', ...config } });
    try {
      return await probeTls(broker.port, { ca: readFileSync(pki.caCert) });
    } finally {
      await broker.stop();
    }
  };
  it('PEM inline (ssl.keystore.key + certificate chain), an encrypted PEM key with ssl.key.password, and PKCS12', async () => {
    expect(await served({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.key': readFileSync(pki.serverKey, 'utf8'), 'ssl.keystore.certificate.chain': readFileSync(pki.serverCert, 'utf8') })).toEqual({ answered: true, serverCn: 'strand' });
    expect(await served({ 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': pki.serverEncryptedPem, 'ssl.key.password': 'key-pass' })).toEqual({ answered: true, serverCn: 'strand' });
    expect(await served({ 'ssl.keystore.type': 'PKCS12', 'ssl.keystore.location': pki.serverP12, 'ssl.keystore.password': 'store-pass' })).toEqual({ answered: true, serverCn: 'strand' });
    await expect(startBroker({ logLevel: 'silent', config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': pki.serverEncryptedPem, 'ssl.key.password': 'wrong' } })).rejects.toThrow('listener SSL: the TLS settings cannot be used');
  });
});

describe('certificate reload', () => {
  it('new connections get the new certificate once the keystore file changes', async () => {
    const keystore = join(pki.dir, 'reload.pem');
    copyFileSync(pki.serverPem, keystore);
    const broker = await startBroker({ config: sslConfig({ 'ssl.keystore.location': keystore }) });
    try {
      const ca = readFileSync(pki.caCert);
      expect((await probeTls(broker.port, { ca })).serverCn).toBe('strand');
      copyFileSync(pki.server2Pem, keystore);
      let cn: string | null = 'strand';
      for (let i = 0; i < 50 && cn === 'strand'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        cn = (await probeTls(broker.port, { ca })).serverCn;
      }
      expect(cn).toBe('strand-2');
    } finally {
      await broker.stop();
    }
  });
});

describe('TLS settings fail closed', () => {
  const refused = (config: Record<string, string>) => startBroker({ config, logLevel: 'silent' });
  it('names what cannot be honoured', async () => {
    await expect(refused({ listeners: 'SSL://127.0.0.1:0' })).rejects.toThrow('listener SSL uses SSL but has no key: set ssl.keystore.type=PEM and ssl.keystore.location');
    await expect(refused({ listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.location': pki.serverPem })).rejects.toThrow("ssl.keystore.type=JKS (listener SSL) (Kafka's default): strand cannot read Java keystores");
    await expect(refused(sslConfig({ 'ssl.keystore.location': '/nonexistent.pem' }))).rejects.toThrow('ssl.keystore.location=/nonexistent.pem (listener SSL): cannot read it');
    await expect(refused(sslConfig({ 'ssl.cipher.suites': 'TLS_FOO_WITH_BAR' }))).rejects.toThrow('ssl.cipher.suites (listener SSL): unknown cipher suite TLS_FOO_WITH_BAR');
    await expect(refused(sslConfig({ 'ssl.enabled.protocols': 'TLSv1.1,TLSv1.3' }))).rejects.toThrow('ssl.enabled.protocols=TLSv1.1,TLSv1.3 (listener SSL): OpenSSL serves a contiguous range');
    await expect(refused(sslConfig({ 'ssl.client.auth': 'always' }))).rejects.toThrow('ssl.client.auth=always (listener SSL): expected none, requested or required');
    await expect(refused(sslConfig({ 'ssl.truststore.location': pki.caCert }))).rejects.toThrow("ssl.truststore.type=JKS (listener SSL) (Kafka's default)");
    await expect(refused(sslConfig({ 'ssl.keystore.location': pki.caCert }))).rejects.toThrow('listener SSL: the TLS settings cannot be used');
  });

  it('ssl.enabled.protocols and ssl.cipher.suites are applied', async () => {
    const broker = await startBroker({ config: sslConfig({ 'ssl.enabled.protocols': 'TLSv1.2', 'ssl.cipher.suites': 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384' }) });
    try {
      const ca = readFileSync(pki.caCert);
      expect((await probeTls(broker.port, { ca, minVersion: 'TLSv1.3' })).answered).toBe(false);
      expect((await probeTls(broker.port, { ca, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).answered).toBe(false);
      expect((await probeTls(broker.port, { ca, maxVersion: 'TLSv1.2' })).answered).toBe(true);
    } finally {
      await broker.stop();
    }
  });
});
