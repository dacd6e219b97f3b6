import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { MetadataApi, SaslAuthenticateApi, SaslHandshakeApi } from '../../src/protocol/messages/index.js';
import { kcat } from '../helpers/kcat-cli.js';
import { RawClient } from '../helpers/raw-client.js';
import { tmpDir } from '../helpers/tmp.js';

const VALIDATOR = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler';
const ISSUER = 'https://issuer.test';
type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

let signing: Key;
let stranger: Key;
let jwksFile: string;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256');
  signing = pair.privateKey;
  stranger = (await generateKeyPair('ES256')).privateKey;
  const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'strand-jwks-'));
  jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }));
});

const token = (sub: string, expiresInSeconds: number, options: { key?: Key; audience?: string; issuer?: string } = {}) =>
  new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject(sub).setIssuer(options.issuer ?? ISSUER).setAudience(options.audience ?? 'strand')
    .setIssuedAt().setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds).sign(options.key ?? signing);

const initial = (jwt: string) => Buffer.from(`n,,\x01auth=Bearer ${jwt}\x01\x01`);

const oauthConfig = () => ({
  listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
  'sasl.enabled.mechanisms': 'OAUTHBEARER',
  'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': VALIDATOR,
  'sasl.oauthbearer.jwks.endpoint.url': `file://${jwksFile}`,
  'sasl.oauthbearer.expected.audience': 'strand',
  'sasl.oauthbearer.expected.issuer': ISSUER,
  'sasl.oauthbearer.clock.skew.seconds': '0',
  'connection.failed.authentication.delay.ms': '0',
});

describe('SASL/OAUTHBEARER with JWT validation', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ config: { ...oauthConfig(), 'connections.max.reauth.ms': '600000' } });
  });
  afterAll(async () => broker.stop());

  it('kafkajs authenticates with a signed token and produces', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await token('alice', 300) }) } });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'oauth', messages: [{ value: 'hi' }] });
    await producer.disconnect();
  });

  async function attempt(jwt: string): Promise<{ errorCode: number; errorMessage: string | null; served: boolean; lifetime: bigint }> {
    const c = await RawClient.open(broker.bootstrap);
    expect((await c.request(SaslHandshakeApi, 1, { mechanism: 'OAUTHBEARER' })).errorCode).toBe(0);
    let res = await c.request(SaslAuthenticateApi, 2, { authBytes: initial(jwt) });
    if (res.errorCode === 0 && res.authBytes.length > 0) {
      expect(res.authBytes.toString()).toBe('{"status":"invalid_token"}'); // RFC 7628 error challenge
      res = await c.request(SaslAuthenticateApi, 2, { authBytes: Buffer.from([1]) });
    }
    const served = res.errorCode === 0 && (await c.request(MetadataApi, 1, { topics: null }).then(() => true, () => false));
    c.close();
    return { errorCode: res.errorCode, errorMessage: res.errorMessage, served, lifetime: res.sessionLifetimeMs ?? 0n };
  }

  it('expired, unsigned, foreign-key, wrong-audience and wrong-issuer tokens are refused', async () => {
    const ok = await attempt(await token('alice', 300));
    expect(ok.served).toBe(true);
    // The session ends with the earlier of connections.max.reauth.ms and the token's expiry.
    expect(Number(ok.lifetime)).toBeGreaterThan(290_000);
    expect(Number(ok.lifetime)).toBeLessThanOrEqual(300_000);
    const bad = [
      await token('alice', -10),
      new UnsecuredJWT({}).setSubject('alice').setIssuer(ISSUER).setAudience('strand').setExpirationTime('5m').encode(),
      await token('alice', 300, { key: stranger }),
      await token('alice', 300, { audience: 'other' }),
      await token('alice', 300, { issuer: 'https://evil.test' }),
    ];
    for (const jwt of bad) expect(await attempt(jwt)).toEqual({ errorCode: 58, errorMessage: 'Authentication failed: {"status":"invalid_token"}', served: false, lifetime: 0n });
  });

  it('re-authenticating with a fresh token extends the session', async () => {
    const c = await RawClient.open(broker.bootstrap);
    const login = async (seconds: number) => {
      await c.request(SaslHandshakeApi, 1, { mechanism: 'OAUTHBEARER' });
      return c.request(SaslAuthenticateApi, 2, { authBytes: initial(await token('alice', seconds)) });
    };
    const first = await login(2);
    expect(first.errorCode).toBe(0);
    expect(Number(first.sessionLifetimeMs)).toBeLessThanOrEqual(2000);
    const second = await login(300);
    expect(second.errorCode).toBe(0);
    expect(Number(second.sessionLifetimeMs)).toBeGreaterThan(290_000);
    await new Promise((r) => setTimeout(r, 2200)); // past the first token's expiry
    expect((await c.request(MetadataApi, 1, { topics: null })).brokers.length).toBe(1);
    c.close();
  });

  it('a connection whose token expired is closed at its next request', async () => {
    const c = await RawClient.open(broker.bootstrap);
    await c.request(SaslHandshakeApi, 1, { mechanism: 'OAUTHBEARER' });
    expect((await c.request(SaslAuthenticateApi, 2, { authBytes: initial(await token('alice', 1)) })).errorCode).toBe(0);
    await new Promise((r) => setTimeout(r, 1200));
    c.write((await import('../../src/protocol/frame.js')).encodeRequestFrame(MetadataApi, 1, 50, 't', { topics: null }));
    expect(await c.closedByBroker(3000)).toBe(true);
  });

  it("kcat's unsecured (unsigned) OAUTHBEARER token is refused", async () => {
    const r = await kcat(['-b', broker.bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', 'sasl.oauthbearer.config=principal=alice', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-L', '-m', '1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid_token|Authentication failed/);
  });
});

describe('OAUTHBEARER settings fail closed', () => {
  const refused = (config: Record<string, string>) => startBroker({ config, logLevel: 'silent', dataDir: tmpDir() });
  it('names what cannot be honoured', async () => {
    const { 'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': _, ...noValidator } = oauthConfig();
    await expect(refused(noValidator)).rejects.toThrow('listener SASL_PLAINTEXT enables OAUTHBEARER without listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler: Kafka then accepts unsigned tokens');
    const { 'sasl.oauthbearer.jwks.endpoint.url': __, ...noKeys } = oauthConfig();
    await expect(refused(noKeys)).rejects.toThrow('listener SASL_PLAINTEXT enables OAUTHBEARER but sasl.oauthbearer.jwks.endpoint.url is not set');
    await expect(refused({ ...oauthConfig(), 'sasl.oauthbearer.jwks.endpoint.url': 'file:///nonexistent/jwks.json' })).rejects.toThrow('sasl.oauthbearer.jwks.endpoint.url=file:///nonexistent/jwks.json: cannot read a JSON Web Key Set from it');
    await expect(refused({ ...oauthConfig(), 'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': 'org.apache.kafka.common.security.oauthbearer.internals.unsecured.OAuthBearerUnsecuredValidatorCallbackHandler' })).rejects.toThrow('strand validates OAUTHBEARER tokens only as');
  });
});
