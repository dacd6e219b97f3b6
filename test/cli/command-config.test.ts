import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { makePki, type TestPki } from '../../scripts/pki.js';
import { addScramUser, PLAIN_JAAS } from '../security/sasl-helpers.js';
import { runCli } from './run-cli.js';

describe('strand --command-config against a SASL_SSL broker', () => {
  let pki: TestPki;
  let broker: RunningBroker;
  let sasl: string;
  const dir = mkdtempSync(join(tmpdir(), 'strand-command-config-'));
  const config = (name: string, lines: string[]) => {
    const file = join(dir, name);
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };
  beforeAll(async () => {
    pki = makePki();
    broker = await startBroker({
      logLevel: 'silent',
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
        'sasl.jaas.config': PLAIN_JAAS,
        'listener.name.sasl_ssl.ssl.keystore.type': 'PEM',
        'listener.name.sasl_ssl.ssl.keystore.location': pki.serverPem,
        'connection.failed.authentication.delay.ms': '0',
      },
    });
    sasl = broker.listeners[1]!.bootstrap;
    expect((await addScramUser(broker.listeners[0]!.bootstrap, 'carol', 'carol-secret', 'SCRAM-SHA-512')).errorCode).toBe(0);
  });
  afterAll(async () => broker?.stop());

  it('topics create and list with Kafka client properties (sasl.jaas.config, ssl.truststore.location) and librdkafka names (sasl.username, ssl.ca.location)', async () => {
    const kafkaStyle = config('kafka.properties', [
      'security.protocol=SASL_SSL',
      'sasl.mechanism=SCRAM-SHA-512',
      'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="carol-secret";',
      `ssl.truststore.location=${pki.caCert}`,
      'ssl.truststore.type=PEM',
    ]);
    const created = await runCli(['topics', 'create', 'secured', '--partitions', '2', '--bootstrap', sasl, '--command-config', kafkaStyle]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const rdkafkaStyle = config('rdkafka.properties', ['security.protocol=sasl_ssl', 'sasl.mechanisms=PLAIN', 'sasl.username=alice', 'sasl.password=alice-secret', `ssl.ca.location=${pki.caCert}`]);
    const listed = await runCli(['topics', 'list', '--bootstrap', sasl, '--command-config', rdkafkaStyle]);
    expect(listed.stderr).toBe('');
    expect(listed.stdout.split('\n')).toContain('secured');
  });

  it('a wrong password fails with one line naming the broker and mechanism (exit 1)', async () => {
    const wrong = config('wrong.properties', ['security.protocol=SASL_SSL', 'sasl.mechanism=PLAIN', 'sasl.username=alice', 'sasl.password=nope', `ssl.ca.location=${pki.caCert}`]);
    const refused = await runCli(['topics', 'list', '--bootstrap', sasl, '--command-config', wrong, '--timeout', '5000']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`SASL PLAIN authentication with ${sasl} failed: SASL_AUTHENTICATION_FAILED: Authentication failed: Invalid username or password`);
  });

  it('a setting strand does not read is refused naming it (exit 2)', async () => {
    const unknown = config('unknown.properties', ['security.protocol=SASL_SSL', 'sasl.mechanism=PLAIN', 'sasl.kerberos.service.name=kafka']);
    const r = await runCli(['topics', 'list', '--bootstrap', sasl, '--command-config', unknown]);
    expect([r.code, r.stderr]).toEqual([2, `error: --command-config ${unknown}: strand does not read sasl.kerberos.service.name\n(add --help for usage)\n`]);
  });
});
