/**
 * Authentication and authorization on the admin listener through the Kafka listeners' principals:
 * HTTP Basic with SCRAM users (made through AlterUserScramCredentials, checked against the
 * stored salted hash) and PLAIN users of a SASL listener, bearer JWTs checked with the
 * OAUTHBEARER listener's key set, the console's actions decided by the broker's ACLs, 401 with
 * a challenge, 403 naming the principal, and the probes always open.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConfig } from '../../src/broker/config.js';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { scrape } from '../../src/cli/top/scrape.js';
import { AdminHttp, checkAdminHttpSettings } from '../../src/http/server.js';
import { addScramUser, PLAIN_JAAS } from '../security/sasl-helpers.js';

interface Answer {
  status: number;
  challenge: string | null;
  body: any;
}

async function call(url: string, options: { auth?: string; method?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.auth !== undefined) headers.authorization = options.auth;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Prometheus text, or a page.
  }
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const BASIC_CHALLENGE = 'Basic realm="strand", charset="UTF-8"';

describe('HTTP Basic with the broker\'s SASL users, and the ACLs', () => {
  let broker: RunningBroker;
  let base: string;

  beforeAll(async () => {
    broker = await startBroker({
      logLevel: 'silent',
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        // The plaintext listener sets the test up (users, ACLs, topics) as a super user.
        'super.users': 'User:admin;User:ANONYMOUS',
        'http.listeners': 'http://127.0.0.1:0',
        'http.authentication.method': 'BASIC',
        'connection.failed.authentication.delay.ms': '300',
      },
    });
    base = broker.http[0]!;
    expect((await addScramUser(broker.bootstrap, 'carol', 'carol-secret', 'SCRAM-SHA-512')).errorCode).toBe(0);
    expect((await addScramUser(broker.bootstrap, 'dave', 'dave-secret', 'SCRAM-SHA-256')).errorCode).toBe(0);
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'visible', numPartitions: 1 }, { topic: 'hidden', numPartitions: 1 }] });
    const acl = (operation: AclOperationTypes) => ({ resourceType: AclResourceTypes.TOPIC, resourceName: 'visible', resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:carol', host: '*', operation, permissionType: AclPermissionTypes.ALLOW });
    await admin.createAcls({ acl: [acl(AclOperationTypes.DESCRIBE), acl(AclOperationTypes.READ)] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'visible', messages: [{ value: 'one' }, { value: 'two' }, { value: 'three' }] });
    await producer.disconnect();
  });
  afterAll(async () => broker?.stop());

  it('leaves /health and /ready open and asks everything else for credentials', async () => {
    expect(await call(`${base}/health`)).toEqual({ status: 200, challenge: null, body: { status: 'UP' } });
    expect(await call(`${base}/ready`)).toEqual({ status: 200, challenge: null, body: { status: 'READY', ready: true } });
    // The other HTTP layers' routes too (REST Proxy, Schema Registry), and unknown paths.
    for (const path of ['/api/topics', '/metrics', '/', '/api/cluster', '/v3/clusters', '/topics', '/subjects', '/nope']) {
      const a = await call(base + path);
      expect(a.status).toBe(401);
      expect(a.challenge).toBe(BASIC_CHALLENGE);
      expect(a.body).toEqual({ error_code: 401, message: 'authentication required: HTTP Basic with a SCRAM or PLAIN user of the broker' });
    }
  });

  it('refuses a wrong password, an unknown user and a malformed header with 401', async () => {
    const refused = { status: 401, challenge: BASIC_CHALLENGE, body: { error_code: 401, message: 'Authentication failed: Invalid username or password' } };
    const t0 = performance.now();
    expect(await call(`${base}/api/topics`, { auth: basic('carol', 'carol-secreT') })).toEqual(refused);
    // Answered after connection.failed.authentication.delay.ms, as a Kafka listener answers a failed SASL exchange.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
    expect(await call(`${base}/api/topics`, { auth: basic('dave', 'carol-secret') })).toEqual(refused);
    expect(await call(`${base}/api/topics`, { auth: basic('nobody', 'x') })).toEqual(refused);
    expect(await call(`${base}/api/topics`, { auth: basic('alice', 'admin-secret') })).toEqual(refused);
    expect((await call(`${base}/api/topics`, { auth: 'Basic !!!' })).body.message).toBe('malformed Basic credentials');
  });

  it('serves a SCRAM user what its ACLs allow, and 403 for the rest', async () => {
    const carol = basic('carol', 'carol-secret');
    const topics = await call(`${base}/api/topics`, { auth: carol });
    expect(topics.status).toBe(200);
    expect(topics.body.map((t: { name: string }) => t.name)).toEqual(['visible']);
    const messages = await call(`${base}/api/topics/visible/messages?partition=0&offset=0`, { auth: carol });
    expect(messages.status).toBe(200);
    expect(messages.body.messages.map((m: { value: { text: string } }) => m.value.text)).toEqual(['one', 'two', 'three']);
    expect(await call(`${base}/api/topics/hidden`, { auth: carol })).toEqual({ status: 403, challenge: null, body: { error_code: 403, message: 'User:carol is not authorized to describe topic hidden' } });
    // Refused whether the topic exists or not, so existence does not leak.
    expect((await call(`${base}/api/topics/no-such-topic`, { auth: carol })).status).toBe(403);
    expect((await call(`${base}/api/topics/hidden/messages?partition=0`, { auth: carol })).body).toEqual({ error_code: 403, message: 'User:carol is not authorized to read topic hidden' });
    expect((await call(`${base}/api/topics`, { auth: carol, method: 'POST', body: { name: 'made-by-carol' } })).body).toEqual({ error_code: 403, message: 'User:carol is not authorized to create topic made-by-carol' });
    expect((await call(`${base}/api/topics/visible`, { auth: carol, method: 'DELETE' })).body).toEqual({ error_code: 403, message: 'User:carol is not authorized to delete topic visible' });
    expect((await call(`${base}/api/topics/visible`, { auth: carol })).status).toBe(200);
    // A second request is answered from the verified-password memo: the same answer.
    expect((await call(`${base}/api/topics`, { auth: carol })).body.map((t: { name: string }) => t.name)).toEqual(['visible']);
  });

  it('takes SCRAM-SHA-256 users and PLAIN users of the SASL listener; a super user may change things', async () => {
    // dave has no ACLs: authenticated, sees nothing; /metrics needs only authentication.
    expect(await call(`${base}/api/topics`, { auth: basic('dave', 'dave-secret') })).toEqual({ status: 200, challenge: null, body: [] });
    expect((await call(`${base}/metrics`, { auth: basic('dave', 'dave-secret') })).status).toBe(200);
    // strand top's HTTP mode takes the credentials from its --url.
    const scraped = await scrape(base.replace('http://', 'http://dave:dave-secret@'));
    expect(scraped.samples.some((x) => x.name === 'strand_connections')).toBe(true);
    await expect(scrape(base)).rejects.toThrow(`${base}/metrics answered HTTP 401`);
    expect((await call(`${base}/api/topics`, { auth: basic('alice', 'alice-secret') })).body).toEqual([]);
    const admin = basic('admin', 'admin-secret');
    expect((await call(`${base}/api/topics`, { auth: admin, method: 'POST', body: { name: 'by-admin', partitions: 2 } })).status).toBe(201);
    expect((await call(`${base}/api/topics/by-admin`, { auth: admin })).body.partitions.length).toBe(2);
    expect((await call(`${base}/api/topics/by-admin`, { auth: admin, method: 'DELETE' })).status).toBe(204);
    expect((await call(`${base}/api/topics/by-admin`, { auth: admin })).status).toBe(404);
    expect((await call(`${base}/api/topics`, { auth: admin })).body.map((t: { name: string }) => t.name)).toEqual(['hidden', 'visible']);
    // The REST Proxy behind the same authentication.
    expect((await call(`${base}/v3/clusters`, { auth: admin })).status).toBe(200);
  });
});

describe('settings of the admin listener\'s authentication', () => {
  const quiet = pino({ level: 'silent' });
  const config = (extra: Record<string, string>) => new BrokerConfig(new Map(Object.entries({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
    ...extra,
  })));

  it('lets /metrics be scraped without credentials when asked', async () => {
    const admin = await AdminHttp.start({ listeners: ['http://127.0.0.1:0'], config: config({ 'http.authentication.method': 'BASIC', 'http.metrics.authentication.enable': 'false' }) }, quiet);
    try {
      const base = admin.addresses()[0]!;
      expect((await call(`${base}/metrics`)).status).toBe(200);
      // Before a broker is attached everything else waits for it, credentials or not.
      expect((await call(`${base}/api/topics`)).status).toBe(503);
    } finally {
      await admin.close();
    }
  });

  it('refuses what it cannot honour before binding anything', async () => {
    await expect(AdminHttp.start({ listeners: ['http://127.0.0.1:0'], config: config({ 'http.authentication.method': 'BEARER' }) }, quiet)).rejects.toThrow(/http\.authentication\.method=BEARER needs the keys tokens are checked with/);
    await expect(AdminHttp.start({ listeners: ['http://127.0.0.1:0'], config: config({ 'http.authentication.method': 'MTLS' }) }, quiet)).rejects.toThrow(/MTLS needs an https:\/\/ listener/);
    await expect(AdminHttp.start({ listeners: ['http://127.0.0.1:0'], config: config({ 'http.authentication.method': 'BASIC', 'http.super.users': 'alice' }) }, quiet)).rejects.toThrow(/http\.super\.users: "alice" is not a principal/);
    // The same checks without binding, for strand config check.
    expect(() => checkAdminHttpSettings(config({ 'http.listeners': 'http://127.0.0.1:0', 'http.authentication.method': 'MTLS' }))).toThrow(/MTLS needs an https:\/\/ listener/);
    expect(() => checkAdminHttpSettings(config({ 'http.listeners': 'https://127.0.0.1:0' }))).toThrow(/http\.ssl\.keystore\.location is not set/);
    expect(() => checkAdminHttpSettings(config({ 'http.listeners': 'http://127.0.0.1:0', 'http.authentication.method': 'BASIC' }))).not.toThrow();
    expect(() => config({ 'http.authentication.method': 'DIGEST' })).toThrow(/http\.authentication\.method="DIGEST" is invalid: expected one of NONE, BASIC, BEARER, MTLS/);
  });
});

describe('bearer tokens checked with the OAUTHBEARER listener\'s keys', () => {
  const ISSUER = 'https://issuer.test';
  type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let signing: Key;
  let stranger: Key;
  let broker: RunningBroker;
  let base: string;

  const token = (sub: string, expiresInSeconds: number, key?: Key) =>
    new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject(sub).setIssuer(ISSUER).setAudience('strand')
      .setIssuedAt().setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds).sign(key ?? signing);

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signing = pair.privateKey;
    stranger = (await generateKeyPair('ES256')).privateKey;
    const jwks = join(mkdtempSync(join(tmpdir(), 'strand-http-jwks-')), 'jwks.json');
    writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }));
    broker = await startBroker({
      logLevel: 'silent',
      config: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'OAUTHBEARER',
        'listener.name.sasl_plaintext.oauthbearer.sasl.server.callback.handler.class': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler',
        'sasl.oauthbearer.jwks.endpoint.url': `file://${jwks}`,
        'sasl.oauthbearer.expected.audience': 'strand',
        'sasl.oauthbearer.expected.issuer': ISSUER,
        'sasl.oauthbearer.clock.skew.seconds': '0',
        'http.listeners': 'http://127.0.0.1:0',
        'http.authentication.method': 'BEARER',
        'http.super.users': 'User:ops',
      },
    });
    base = broker.http[0]!;
  });
  afterAll(async () => broker?.stop());

  it('serves a signed token\'s subject and refuses missing, expired and foreign tokens', async () => {
    expect(await call(`${base}/api/cluster`)).toMatchObject({ status: 401, challenge: 'Bearer realm="strand"' });
    expect((await call(`${base}/api/topics`, { auth: `Bearer ${await token('alice', 300)}` })).status).toBe(200);
    const invalid = { status: 401, challenge: 'Bearer realm="strand", error="invalid_token"', body: { error_code: 401, message: 'Authentication failed: the bearer token is invalid' } };
    expect(await call(`${base}/api/topics`, { auth: `Bearer ${await token('alice', -60)}` })).toEqual(invalid);
    expect(await call(`${base}/api/topics`, { auth: `Bearer ${await token('alice', 300, stranger)}` })).toEqual(invalid);
    expect(await call(`${base}/api/topics`, { auth: 'Bearer not-a-jwt' })).toEqual(invalid);
    // The subject is the principal: only User:ops may change things (no authorizer here).
    expect((await call(`${base}/api/topics`, { auth: `Bearer ${await token('alice', 300)}`, method: 'POST', body: { name: 'jwt-made' } })).body).toEqual({ error_code: 403, message: 'User:alice is not authorized to create topic jwt-made' });
    expect((await call(`${base}/api/topics`, { auth: `Bearer ${await token('ops', 300)}`, method: 'POST', body: { name: 'jwt-made' } })).status).toBe(201);
  });
});
