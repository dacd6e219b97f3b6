/** Cluster settings a broker cannot honour stop it at start, before it opens its data directory. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { tmpDir } from '../helpers/tmp.js';

describe('cluster settings', () => {
  it('refuses an inter-broker listener that is not PLAINTEXT (replication speaks plaintext only), naming it', async () => {
    const dataDir = join(tmpDir(), 'data');
    const start = startBroker({ dataDir, config: {
      'cluster.etcd': 'etcd://127.0.0.1:2379', 'node.id': '1',
      'listeners': 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:SASL_PLAINTEXT',
      'inter.broker.listener.name': 'INTERNAL',
      'sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.internal.plain.sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required user_broker="secret";',
    } });
    await expect(start).rejects.toThrow("inter-broker listener INTERNAL uses SASL_PLAINTEXT; strand's replication between brokers speaks PLAINTEXT only for now: set inter.broker.listener.name to a PLAINTEXT listener");
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a --cluster address that is not etcd://HOST:PORT', async () => {
    const dataDir = join(tmpDir(), 'data');
    await expect(startBroker({ dataDir, config: { 'cluster.etcd': 'http://127.0.0.1:2379' } })).rejects.toThrow('--cluster http://127.0.0.1:2379: expected etcd://HOST:PORT[,HOST:PORT]');
    expect(existsSync(dataDir)).toBe(false);
  });
});
