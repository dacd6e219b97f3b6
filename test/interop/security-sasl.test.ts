import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { kcat } from '../helpers/kcat-cli.js';
import { makePki, type TestPki } from '../../scripts/pki.js';
import { addSaslUsers, PLAIN_JAAS, SASL_USERS } from '../security/sasl-helpers.js';

describe('SASL with kcat (librdkafka) and kafkajs, on SASL_PLAINTEXT and SASL_SSL', () => {
  let pki: TestPki;
  let broker: RunningBroker;
  beforeAll(async () => {
    pki = makePki();
    broker = await startBroker({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'sasl.jaas.config': PLAIN_JAAS,
        'listener.name.sasl_ssl.ssl.keystore.type': 'PEM',
        'listener.name.sasl_ssl.ssl.keystore.location': pki.serverPem,
        'connection.failed.authentication.delay.ms': '10',
        'group.initial.rebalance.delay.ms': '0',
      },
    });
    expect(await addSaslUsers(broker.listeners[0]!.bootstrap)).toEqual([0, 0]);
  });
  afterAll(async () => broker.stop());

  for (const protocol of ['SASL_PLAINTEXT', 'SASL_SSL'] as const) {
    const listener = () => broker.listeners.find((l) => l.name === protocol)!;
    const tlsArgs = () => (protocol === 'SASL_SSL' ? ['-X', `ssl.ca.location=${pki.caCert}`] : []);
    for (const [mech, user, password] of SASL_USERS) {
      it(`kcat ${protocol} ${mech}: produces and consumes; a wrong password and an unknown user are refused`, async () => {
        const auth = (u: string, p: string) => ['-X', `security.protocol=${protocol}`, '-X', `sasl.mechanisms=${mech}`, '-X', `sasl.username=${u}`, '-X', `sasl.password=${p}`, ...tlsArgs()];
        const topic = `kcat-${protocol}-${mech}`.toLowerCase();
        const lines = Array.from({ length: 50 }, (_, i) => `${mech} ${i}`);
        const p = await kcat(['-b', listener().bootstrap, ...auth(user, password), '-P', '-t', topic], lines.join('\n') + '\n');
        expect(p.code, p.stderr).toBe(0);
        const c = await kcat(['-b', listener().bootstrap, ...auth(user, password), '-C', '-t', topic, '-e', '-o', 'beginning']);
        expect(c.code, c.stderr).toBe(0);
        expect(c.stdout.trim().split('\n')).toEqual(lines);
        for (const [u, pw] of [[user, 'wrong-password'], ['nobody', password]]) {
          const bad = await kcat(['-b', listener().bootstrap, ...auth(u!, pw!), '-L', '-m', '1']);
          expect(bad.code).not.toBe(0);
          expect(bad.stderr).toMatch(/Authentication failed|SASL authentication error/);
        }
      });

      it(`kafkajs ${protocol} ${mech}: produces and consumes in a group; a wrong password is refused`, async () => {
        const client = (sasl: SASLOptions) => new Kafka({
          clientId: 'sasl', brokers: [listener().bootstrap], sasl, logLevel: logLevel.NOTHING, retry: { retries: 0 },
          ...(protocol === 'SASL_SSL' ? { ssl: { ca: [readFileSync(pki.caCert)] } } : {}),
        });
        const mechanism = mech.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512';
        const kafka = client({ mechanism, username: user, password } as SASLOptions);
        const topic = `kjs-${protocol}-${mech}`.toLowerCase();
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `v${i}` })) });
        await producer.disconnect();
        const consumer = kafka.consumer({ groupId: `${topic}-g` });
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        const got: string[] = [];
        await new Promise<void>((resolve) => {
          void consumer.run({ eachMessage: async ({ message }) => {
            got.push(message.value!.toString());
            if (got.length === 20) resolve();
          } });
        });
        await consumer.disconnect();
        expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
        const wrong = client({ mechanism, username: user, password: 'wrong-password' } as SASLOptions).producer();
        await expect(wrong.connect()).rejects.toThrow(/Authentication failed/);
      });
    }
  }
});
