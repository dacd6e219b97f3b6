import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { ApiVersionsApi, MetadataApi, SaslAuthenticateApi, SaslHandshakeApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { addScramUser, PLAIN_JAAS, rawFrame, ScramClient } from './sasl-helpers.js';

const plainToken = (user: string, password: string, authzid = '') => Buffer.from(`${authzid}\u0000${user}\u0000${password}`);

describe('SASL on a SASL_PLAINTEXT listener', () => {
  let broker: RunningBroker;
  let sasl: string;
  let open: string;
  beforeAll(async () => {
    broker = await startBroker({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': PLAIN_JAAS,
        'connection.failed.authentication.delay.ms': '300',
      },
    });
    open = broker.listeners[0]!.bootstrap;
    sasl = broker.listeners[1]!.bootstrap;
    expect(await addScramUser(open, 'bob', 'bob-secret', 'SCRAM-SHA-256')).toEqual({ user: 'bob', errorCode: 0, errorMessage: null });
    expect(await addScramUser(open, 'bob', 'bob-512', 'SCRAM-SHA-512')).toEqual({ user: 'bob', errorCode: 0, errorMessage: null });
  });
  afterAll(async () => broker.stop());

  async function authenticated(mechanism: string, exchange: (c: RawClient) => Promise<void>): Promise<RawClient> {
    const c = await RawClient.open(sasl);
    const hs = await c.request(SaslHandshakeApi, 1, { mechanism });
    expect(hs.errorCode).toBe(0);
    await exchange(c);
    return c;
  }

  it('before authentication only ApiVersions and the SASL APIs are served; anything else closes the connection', async () => {
    const c = await RawClient.open(sasl);
    const versions = await c.request(ApiVersionsApi, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    expect(versions.apiKeys.find((k) => k.apiKey === 17)).toEqual({ apiKey: 17, minVersion: 0, maxVersion: 1 });
    expect(versions.apiKeys.find((k) => k.apiKey === 36)).toEqual({ apiKey: 36, minVersion: 0, maxVersion: 2 });
    c.write((await import('../../src/protocol/frame.js')).encodeRequestFrame(MetadataApi, 1, 9, 't', { topics: null }));
    expect(await c.closedByBroker(3000)).toBe(true);
  });

  it('a mechanism not enabled is answered UNSUPPORTED_SASL_MECHANISM with the enabled ones, then the connection closes', async () => {
    const c = await RawClient.open(sasl);
    expect(await c.request(SaslHandshakeApi, 1, { mechanism: 'GSSAPI' })).toEqual({ errorCode: 33, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] });
    expect(await c.closedByBroker(3000)).toBe(true);
  });

  it('PLAIN through SaslAuthenticate, then requests are served', async () => {
    const c = await authenticated('PLAIN', async (c) => {
      const res = await c.request(SaslAuthenticateApi, 2, { authBytes: plainToken('alice', 'alice-secret') });
      expect(res).toMatchObject({ errorCode: 0, errorMessage: null, sessionLifetimeMs: 0n });
    });
    expect((await c.request(MetadataApi, 1, { topics: null })).brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: broker.listeners[1]!.port, rack: null }]);
    c.close();
  });

  it('a wrong password or an unknown user: SASL_AUTHENTICATION_FAILED after connection.failed.authentication.delay.ms, then the connection closes', async () => {
    for (const token of [plainToken('alice', 'wrong'), plainToken('nobody', 'alice-secret'), plainToken('alice', 'alice-secret', 'admin')]) {
      const c = await RawClient.open(sasl);
      await c.request(SaslHandshakeApi, 1, { mechanism: 'PLAIN' });
      const started = Date.now();
      const res = await c.request(SaslAuthenticateApi, 1, { authBytes: token });
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(res.errorCode).toBe(58);
      expect(res.errorMessage).toBe(token.includes('admin') ? 'Authentication failed: Client requested an authorization id that is different from username' : 'Authentication failed: Invalid username or password');
      expect(await c.closedByBroker(3000)).toBe(true);
    }
  });

  for (const [mech, password] of [['SCRAM-SHA-256', 'bob-secret'], ['SCRAM-SHA-512', 'bob-512']] as const) {
    it(`${mech}: the exchange authenticates and the server proves it knows the credential; a wrong password or unknown user fails`, async () => {
      const client = new ScramClient(mech, 'bob', password);
      const c = await authenticated(mech, async (c) => {
        const first = await c.request(SaslAuthenticateApi, 2, { authBytes: client.first() });
        expect(first.errorCode).toBe(0);
        expect(first.authBytes.toString()).toMatch(new RegExp(`^r=${client.nonce.replace(/[+/]/g, '\\$&')}[A-Za-z0-9_-]{32},s=[A-Za-z0-9+/=]+,i=4096$`));
        const final = await c.request(SaslAuthenticateApi, 2, { authBytes: client.final(first.authBytes) });
        expect(final.errorCode).toBe(0);
        expect(client.verifies(final.authBytes)).toBe(true);
      });
      expect((await c.request(MetadataApi, 1, { topics: null })).brokers.length).toBe(1);
      c.close();
      for (const [user, pw] of [['bob', 'not-it'], ['nobody', password]] as const) {
        const bad = new ScramClient(mech, user, pw);
        const c2 = await RawClient.open(sasl);
        await c2.request(SaslHandshakeApi, 1, { mechanism: mech });
        let res = await c2.request(SaslAuthenticateApi, 2, { authBytes: bad.first() });
        if (res.errorCode === 0) res = await c2.request(SaslAuthenticateApi, 2, { authBytes: bad.final(res.authBytes) });
        expect(res.errorCode).toBe(58);
        expect(res.errorMessage).toBe(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mech}`);
        expect(await c2.closedByBroker(3000)).toBe(true);
      }
    });
  }

  it('a replayed SCRAM client-final (a nonce of another exchange) is refused', async () => {
    const client = new ScramClient('SCRAM-SHA-256', 'bob', 'bob-secret');
    let captured: Buffer | null = null;
    const a = await authenticated('SCRAM-SHA-256', async (c) => {
      const first = await c.request(SaslAuthenticateApi, 1, { authBytes: client.first() });
      captured = client.final(first.authBytes);
      expect((await c.request(SaslAuthenticateApi, 1, { authBytes: captured })).errorCode).toBe(0);
    });
    a.close();
    const b = await RawClient.open(sasl);
    await b.request(SaslHandshakeApi, 1, { mechanism: 'SCRAM-SHA-256' });
    const first = await b.request(SaslAuthenticateApi, 1, { authBytes: client.first() }); // the same client-first
    expect(first.errorCode).toBe(0);
    const replay = await b.request(SaslAuthenticateApi, 1, { authBytes: captured! });
    expect(replay.errorCode).toBe(58);
    expect(await b.closedByBroker(3000)).toBe(true);
  });

  it('SaslHandshake v0: the tokens follow raw, without Kafka headers (PLAIN and SCRAM)', async () => {
    const c = await RawClient.open(sasl);
    expect(await c.request(SaslHandshakeApi, 0, { mechanism: 'PLAIN' })).toEqual({ errorCode: 0, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] });
    c.write(rawFrame(plainToken('alice', 'alice-secret')));
    expect((await c.readFrame())!.length).toBe(0);
    expect((await c.request(MetadataApi, 0, { topics: [] })).brokers.length).toBe(1);
    c.close();

    const s = await RawClient.open(sasl);
    await s.request(SaslHandshakeApi, 0, { mechanism: 'SCRAM-SHA-512' });
    const client = new ScramClient('SCRAM-SHA-512', 'bob', 'bob-512');
    s.write(rawFrame(client.first()));
    const serverFirst = Buffer.from((await s.readFrame())!);
    s.write(rawFrame(client.final(serverFirst)));
    expect(client.verifies(Buffer.from((await s.readFrame())!))).toBe(true);
    expect((await s.request(MetadataApi, 0, { topics: [] })).brokers.length).toBe(1);
    s.close();

    const bad = await RawClient.open(sasl);
    await bad.request(SaslHandshakeApi, 0, { mechanism: 'PLAIN' });
    bad.write(rawFrame(plainToken('alice', 'wrong')));
    expect(await bad.closedByBroker(3000)).toBe(true);
  });

  it('on a listener without SASL, SaslHandshake and SaslAuthenticate answer ILLEGAL_SASL_STATE', async () => {
    const c = await RawClient.open(open);
    expect(await c.request(SaslHandshakeApi, 1, { mechanism: 'PLAIN' })).toEqual({ errorCode: 34, mechanisms: [] });
    expect((await c.request(SaslAuthenticateApi, 2, { authBytes: Buffer.alloc(0) })).errorCode).toBe(34);
    c.close();
  });
});

describe('session lifetime and re-authentication (KIP-368)', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({
      config: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'sasl.enabled.mechanisms': 'PLAIN',
        'sasl.jaas.config': PLAIN_JAAS,
        'connections.max.reauth.ms': '600',
        'connection.failed.authentication.delay.ms': '0',
      },
    });
  });
  afterAll(async () => broker.stop());

  const login = async (c: RawClient, user = 'alice', password = 'alice-secret') => {
    expect((await c.request(SaslHandshakeApi, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    return c.request(SaslAuthenticateApi, 2, { authBytes: plainToken(user, password) });
  };

  it('SaslAuthenticate gives the session lifetime; a request after it closes the connection', async () => {
    const c = await RawClient.open(broker.bootstrap);
    expect((await login(c)).sessionLifetimeMs).toBe(600n);
    await c.request(MetadataApi, 1, { topics: null });
    await new Promise((r) => setTimeout(r, 700));
    c.write((await import('../../src/protocol/frame.js')).encodeRequestFrame(MetadataApi, 1, 99, 't', { topics: null }));
    expect(await c.closedByBroker(3000)).toBe(true);
  });

  it('re-authenticating before the end starts a new session; another principal is refused', async () => {
    const c = await RawClient.open(broker.bootstrap);
    await login(c);
    await new Promise((r) => setTimeout(r, 400));
    expect((await login(c)).errorCode).toBe(0);
    await new Promise((r) => setTimeout(r, 400)); // 800 ms after the first login, 400 after the second
    expect((await c.request(MetadataApi, 1, { topics: null })).brokers.length).toBe(1);
    const other = await login(c, 'admin', 'admin-secret');
    expect(other.errorCode).toBe(58);
    expect(other.errorMessage).toBe('Cannot change principals during re-authentication from User:alice: User:admin');
    expect(await c.closedByBroker(3000)).toBe(true);
  });
});

describe('SASL settings fail closed', () => {
  const refused = (config: Record<string, string>) => startBroker({ config: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', ...config }, logLevel: 'silent' });
  it('names what cannot be honoured', async () => {
    await expect(refused({})).rejects.toThrow("sasl.enabled.mechanisms=GSSAPI (listener SASL_PLAINTEXT) (Kafka's default): strand cannot serve GSSAPI; it serves PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER");
    await expect(refused({ 'sasl.enabled.mechanisms': 'PLAIN,GSSAPI', 'sasl.jaas.config': PLAIN_JAAS })).rejects.toThrow('sasl.enabled.mechanisms=PLAIN,GSSAPI (listener SASL_PLAINTEXT): strand cannot serve GSSAPI');
    await expect(refused({ 'sasl.enabled.mechanisms': 'PLAIN' })).rejects.toThrow('listener SASL_PLAINTEXT enables PLAIN but has no users: set listener.name.sasl_plaintext.plain.sasl.jaas.config');
    await expect(refused({ 'sasl.enabled.mechanisms': 'PLAIN', 'sasl.jaas.config': 'PlainLoginModule required user_a="b"' })).rejects.toThrow('sasl.jaas.config: the login module is not terminated by ;');
    await expect(refused({ 'sasl.enabled.mechanisms': 'PLAIN', 'listener.name.sasl_plaintext.plain.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;' })).rejects.toThrow('is not the login module of PLAIN');
    await expect(refused({ 'sasl.enabled.mechanisms': 'SCRAM-SHA-256', 'listener.name.sasl_plaintext.gssapi.sasl.jaas.config': 'x required;' })).rejects.toThrow('listener.name.sasl_plaintext.gssapi.sasl.jaas.config (strand does not support gssapi.sasl.jaas.config)');
    await expect(refused({ 'sasl.enabled.mechanisms': 'SCRAM-SHA-256', 'connections.max.reauth.ms': 'soon' })).rejects.toThrow('connections.max.reauth.ms="soon" (listener SASL_PLAINTEXT) is invalid');
  });
});
