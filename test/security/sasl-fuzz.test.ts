import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { encodeRequestFrame } from '../../src/protocol/frame.js';
import { ApiVersionsApi, MetadataApi, SaslAuthenticateApi, SaslHandshakeApi } from '../../src/protocol/messages/index.js';
import { ConnectionAuth } from '../../src/security/connection-auth.js';
import { SaslAuthenticationError } from '../../src/security/errors.js';
import { prepareListenerSasl } from '../../src/security/sasl/listener-sasl.js';
import { newCredential, SCRAM_PARAMS, type ScramMechanism } from '../../src/security/sasl/scram-formatter.js';
import { SaslSession } from '../../src/security/sasl/session.js';
import type { ScramCredentials } from '../../src/security/scram-store.js';
import { RawClient } from '../helpers/raw-client.js';
import { addScramUser, PLAIN_JAAS, rawFrame, ScramClient } from './sasl-helpers.js';

const MECHS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
const creds = new Map<ScramMechanism, ReturnType<typeof newCredential>>([
  ['SCRAM-SHA-256', newCredential('SCRAM-SHA-256', 'bob-secret', SCRAM_PARAMS['SCRAM-SHA-256'].minIterations)],
  ['SCRAM-SHA-512', newCredential('SCRAM-SHA-512', 'bob-secret', SCRAM_PARAMS['SCRAM-SHA-512'].minIterations)],
]);
const store = { get: (u: string, m: ScramMechanism) => (u === 'bob' ? creds.get(m) : undefined) } as unknown as ScramCredentials;
const settings = new Map([['sasl.enabled.mechanisms', MECHS.join(',')], ['sasl.jaas.config', PLAIN_JAAS]]);
const listenerSasl = prepareListenerSasl({ raw: (k) => settings.get(k), entries: () => settings.entries() }, 'SASL_PLAINTEXT', store);

function session(mechanism: string): { s: SaslSession; auth: ConnectionAuth } {
  const auth = new ConnectionAuth({ name: 'SASL_PLAINTEXT', securityProtocol: 'SASL_PLAINTEXT' });
  const s = new SaslSession(listenerSasl, auth);
  expect(s.handshake(mechanism, 1).errorCode).toBe(0);
  return { s, auth };
}

/** Feed tokens; only SaslAuthenticationError may come out. Returns whether the session authenticated. */
function run(mechanism: string, tokens: Buffer[]): boolean {
  const { s, auth } = session(mechanism);
  for (const t of tokens) {
    try {
      s.authenticate(t, 0);
    } catch (err) {
      expect(err).toBeInstanceOf(SaslAuthenticationError);
      expect(s.state).toBe('failed');
      expect(auth.principal).toBe('User:ANONYMOUS');
      return false;
    }
    if (s.state === 'complete') return true;
  }
  return false;
}

const mutate = (b: Buffer) => fc.oneof(
  fc.nat({ max: Math.max(0, b.length) }).map((n) => b.subarray(0, n)), // truncated
  fc.tuple(fc.nat({ max: Math.max(0, b.length - 1) }), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
    const c = Buffer.from(b);
    if (c.length > 0) c[i] = c[i]! ^ x; // one byte changed
    return c;
  }),
  fc.tuple(fc.nat({ max: b.length }), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([i, ins]) => Buffer.concat([b.subarray(0, i), Buffer.from(ins), b.subarray(i)])),
);

describe('SASL exchange fuzz', () => {
  it('random tokens never authenticate and fail only with SASL_AUTHENTICATION_FAILED', () => {
    fc.assert(fc.property(fc.constantFrom(...MECHS), fc.array(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), { minLength: 1, maxLength: 3 }), (mech, tokens) => {
      expect(run(mech, tokens)).toBe(false);
    }), { numRuns: 2000 });
  });

  it('structured SCRAM messages with a wrong password, mutated or not, never authenticate', () => {
    fc.assert(fc.property(fc.constantFrom('SCRAM-SHA-256', 'SCRAM-SHA-512' as const), fc.string({ minLength: 1, maxLength: 20 }).filter((p) => p !== 'bob-secret'), fc.nat(), (mech, password, seed) => {
      const { s } = session(mech);
      const client = new ScramClient(mech, 'bob', password);
      const serverFirst = s.authenticate(client.first(), 0).challenge;
      const final = client.final(serverFirst);
      const variants = fc.sample(mutate(final), { numRuns: 1, seed })[0]!;
      const token = seed % 2 === 0 ? final : variants;
      let ok = false;
      try {
        s.authenticate(token, 0);
        ok = s.state === 'complete';
      } catch (err) {
        expect(err).toBeInstanceOf(SaslAuthenticationError);
      }
      expect(ok).toBe(false);
    }), { numRuns: 300 });
  });

  it('PLAIN tokens with a wrong password, mutated or not, never authenticate', () => {
    const token = (u: string, p: string) => Buffer.from(`\u0000${u}\u0000${p}`);
    fc.assert(fc.property(fc.string({ maxLength: 30 }).filter((p) => p !== 'alice-secret'), fc.nat(), (password, seed) => {
      const t = seed % 2 === 0 ? token('alice', password) : fc.sample(mutate(token('alice', password)), { numRuns: 1, seed })[0]!;
      // A mutation could only succeed by producing alice's exact password.
      if (t.toString('utf8') === token('alice', 'alice-secret').toString('utf8')) return;
      expect(run('PLAIN', [t])).toBe(false);
    }), { numRuns: 1000 });
  });

  it('the right secret does authenticate (the fuzz above is not vacuous)', () => {
    expect(run('PLAIN', [Buffer.from('\u0000alice\u0000alice-secret')])).toBe(true);
    for (const mech of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
      const { s } = session(mech);
      const client = new ScramClient(mech, 'bob', 'bob-secret');
      const final = client.final(s.authenticate(client.first(), 0).challenge);
      expect(client.verifies(s.authenticate(final, 0).challenge)).toBe(true);
      expect(s.state).toBe('complete');
    }
  });
});

describe('SASL fuzz through a broker', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms': MECHS.join(','),
        'sasl.jaas.config': PLAIN_JAAS,
        'connection.failed.authentication.delay.ms': '0',
      },
    });
    await addScramUser(broker.listeners[0]!.bootstrap, 'bob', 'bob-secret', 'SCRAM-SHA-256');
  });
  afterAll(async () => broker.stop());

  it('random handshakes and tokens, in Kafka frames and raw, never crash the broker and never get a request served', async () => {
    const sasl = broker.listeners[1]!.bootstrap;
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...MECHS, 'GSSAPI', ''), fc.integer({ min: 0, max: 2 }), fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 3 }),
      async (mechanism, version, tokens) => {
        const c = await RawClient.open(sasl);
        const hsVersion = Math.min(version, 1);
        c.write(encodeRequestFrame(SaslHandshakeApi, hsVersion, 1, 'fuzz', { mechanism }));
        if ((await c.readFrame()) !== null) {
          for (const t of tokens) {
            c.write(hsVersion === 0 ? rawFrame(Buffer.from(t)) : encodeRequestFrame(SaslAuthenticateApi, version, 2, 'fuzz', { authBytes: Buffer.from(t) }));
          }
          c.write(encodeRequestFrame(MetadataApi, 1, 3, 'fuzz', { topics: null }));
          // Whatever was answered, a Metadata response (correlation id 3) never comes: the connection closes first.
          for (;;) {
            const f = await c.readFrame(3000).catch(() => null);
            if (f === null) break;
            expect(f.length >= 4 && f.readInt32BE(0) === 3).toBe(false);
          }
        }
        c.close();
      },
    ), { numRuns: 150 });
    const check = await RawClient.open(broker.listeners[0]!.bootstrap);
    expect((await check.request(ApiVersionsApi, 0, {})).errorCode).toBe(0);
    check.close();
  });
});
