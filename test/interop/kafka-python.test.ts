/**
 * kafka-python 2.0 (Debian's python3-kafka, with python3-snappy, python3-lz4 and
 * python3-zstandard for its codecs), the Python client the broker must serve unchanged: admin,
 * every compression codec through an acks=all producer, a consumer group that commits, and
 * the same over SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512: kafka-python speaks SaslHandshake
 * and SaslAuthenticate) and TLS. The client runs as a child process
 * (fixtures/kafka_python_client.py) and prints what it saw; every value is asserted exactly.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { partitionForKey } from '../../src/client/partitioner.js';
import { makePki, type TestPki } from '../../scripts/pki.js';
import { runProgram } from '../helpers/program.js';
import { addSaslUsers, PLAIN_JAAS, SASL_USERS } from '../security/sasl-helpers.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/kafka_python_client.py', import.meta.url));
const CODECS = ['None', 'gzip', 'snappy', 'lz4', 'zstd'];
const PARTITIONS = 3;

/** Debian's interpreter first: a python3 earlier on PATH (pyenv, a venv) may not see python3-kafka. */
const python = ['/usr/bin/python3', 'python3'].find((bin) => spawnSync(bin, ['-c', 'import kafka, snappy, lz4.frame, zstandard'], { stdio: 'ignore' }).status === 0);

async function client(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (python === undefined) throw new Error('kafka-python is not installed: apt-get install -y python3-kafka python3-snappy python3-lz4 python3-zstandard');
  const r = await runProgram(python, [SCRIPT, JSON.stringify(args)], { cwd: process.cwd(), timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** What a round trip of `perCodec` keyed records per codec must report: kafka-python partitions by murmur2 of the key, as Kafka's Java client. */
function expected(topic: string, perCodec: number) {
  const perPartition = new Map<number, number>();
  for (let i = 0; i < perCodec; i++) {
    const p = partitionForKey(Buffer.from(`k${i}`), PARTITIONS);
    perPartition.set(p, (perPartition.get(p) ?? 0) + CODECS.length);
  }
  const ends = Object.fromEntries([...perPartition].sort((a, b) => a[0] - b[0]).map(([p, n]) => [String(p), n]));
  return {
    listed: true,
    sent: ends,
    values: CODECS.flatMap((c) => Array.from({ length: perCodec }, (_, i) => `${c}-${i}`)).sort(),
    committed: Object.fromEntries(Array.from({ length: PARTITIONS }, (_, p) => [String(p), perPartition.get(p) ?? 0])),
    groups: [`${topic}-group`],
    described: [[`${topic}-group`, 'Empty', 'consumer']],
    offsets: ends,
  };
}

describe('kafka-python 2.0', () => {
  let pki: TestPki;
  let broker: RunningBroker;
  const listener = (name: string) => broker.listeners.find((l) => l.name === name)!.bootstrap;
  beforeAll(async () => {
    pki = makePki();
    broker = await startBroker({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'sasl.jaas.config': PLAIN_JAAS,
        'listener.name.ssl.ssl.keystore.type': 'PEM',
        'listener.name.ssl.ssl.keystore.location': pki.serverPem,
        'connection.failed.authentication.delay.ms': '10',
        'group.initial.rebalance.delay.ms': '0',
      },
    });
    expect(await addSaslUsers(listener('PLAINTEXT'))).toEqual([0, 0]);
  });
  afterAll(async () => broker.stop());

  it('creates a topic, produces with every codec at acks=all, consumes in a group, commits, describes and deletes', async () => {
    const got = await client({ scenario: 'roundtrip', bootstrap: listener('PLAINTEXT'), topic: 'kp-plain', per_codec: 40 });
    expect(got).toEqual(expected('kp-plain', 40));
  }, 60_000);

  for (const [mechanism, user, password] of SASL_USERS) {
    it(`authenticates with SASL ${mechanism} and does the same; a wrong password is refused`, async () => {
      const topic = `kp-${mechanism.toLowerCase()}`;
      const sasl = { bootstrap: listener('SASL_PLAINTEXT'), protocol: 'SASL_PLAINTEXT', mechanism, user };
      expect(await client({ scenario: 'roundtrip', topic, per_codec: 8, password, ...sasl })).toEqual(expected(topic, 8));
      // kafka-python reports a refused bootstrap as NoBrokersAvailable: the right password, same call, is let in.
      expect(await client({ scenario: 'refused', password: 'wrong-password', ...sasl })).toEqual({ error: 'NoBrokersAvailable' });
      expect(await client({ scenario: 'refused', password, ...sasl })).toEqual({ error: null });
    }, 60_000);
  }

  it('connects over TLS, checking the broker against its CA', async () => {
    const got = await client({ scenario: 'roundtrip', bootstrap: listener('SSL'), protocol: 'SSL', ca: pki.caCert, topic: 'kp-tls', per_codec: 8 });
    expect(got).toEqual(expected('kp-tls', 8));
  }, 60_000);
});
