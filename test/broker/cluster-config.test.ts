/** Cluster settings a broker cannot honour stop it at start, before it opens its data directory. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { tmpDir } from '../helpers/tmp.js';
import { makePki } from '../../scripts/pki.js';

describe('cluster settings', () => {
  const saslCluster = (extra: Record<string, string>) => ({
    'cluster.etcd': 'etcd://127.0.0.1:2379', 'node.id': '1',
    'listeners': 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:SASL_PLAINTEXT',
    'inter.broker.listener.name': 'INTERNAL',
    'sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.internal.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_broker="secret";',
    ...extra,
  });

  it("refuses a SASL inter-broker listener with Kafka's default mechanism (GSSAPI) or without the inter-broker credentials, naming the setting", async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{}, "sasl.mechanism.inter.broker.protocol=GSSAPI (Kafka's default): the inter-broker listener INTERNAL uses SASL and strand's brokers authenticate to each other with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; set sasl.mechanism.inter.broker.protocol to one of them"],
      [{ 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512' }, 'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512 must be included in sasl.enabled.mechanisms of the inter-broker listener INTERNAL (PLAIN)'],
      [{ 'sasl.mechanism.inter.broker.protocol': 'PLAIN' }, 'listener.name.internal.plain.sasl.jaas.config: the inter-broker client\'s PLAIN credentials need username="..." and password="..." options (username is missing)'],
    ];
    for (const [extra, message] of cases) {
      const dataDir = join(tmpDir(), 'data');
      await expect(startBroker({ dataDir, config: saslCluster(extra) })).rejects.toThrow(message);
      expect(existsSync(dataDir)).toBe(false);
    }
  });

  it('refuses an SSL inter-broker listener without a trust store to verify the other brokers', async () => {
    const pki = makePki();
    const dataDir = join(tmpDir(), 'data');
    const start = startBroker({ dataDir, config: {
      'cluster.etcd': 'etcd://127.0.0.1:2379', 'node.id': '1',
      'listeners': 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:SSL',
      'inter.broker.listener.name': 'INTERNAL',
      'listener.name.internal.ssl.keystore.type': 'PEM',
      'listener.name.internal.ssl.keystore.location': pki.serverPem,
    } });
    await expect(start).rejects.toThrow('the inter-broker listener INTERNAL uses SSL but has no trust store to verify the other brokers: set listener.name.internal.ssl.truststore.location (ssl.truststore.type=PEM) or ssl.truststore.location');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a --cluster address that is not etcd://HOST:PORT', async () => {
    const dataDir = join(tmpDir(), 'data');
    await expect(startBroker({ dataDir, config: { 'cluster.etcd': 'http://127.0.0.1:2379' } })).rejects.toThrow('--cluster http://127.0.0.1:2379: expected etcd://HOST:PORT[,HOST:PORT]');
    expect(existsSync(dataDir)).toBe(false);
  });
});
