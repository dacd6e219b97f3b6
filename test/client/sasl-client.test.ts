import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { Connection, type ConnectionOptions } from '../../src/client/connection.js';
import { SaslAuthenticationError, SslAuthenticationError } from '../../src/client/errors.js';
import { MetadataApi } from '../../src/protocol/messages/index.js';
import { until } from '../helpers/until.js';
import { makePki, type TestPki } from '../../scripts/pki.js';
import { addSaslUsers, PLAIN_JAAS, SASL_USERS } from '../security/sasl-helpers.js';

const VALIDATOR = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler';

describe("strand's client over SASL_PLAINTEXT, SASL_SSL and SSL", () => {
  let pki: TestPki;
  let broker: RunningBroker;
  let signToken: (sub: string) => Promise<string>;
  const at = (name: string) => broker.listeners.find((l) => l.name === name)!;
  const endpoint = (name: string) => ({ host: '127.0.0.1', port: at(name).port, connectTimeoutMs: 10_000, requestTimeoutMs: 10_000 });
  const ca = () => readFileSync(pki.caCert);

  beforeAll(async () => {
    pki = makePki();
    const pair = await generateKeyPair('ES256');
    const dir = mkdtempSync(join(tmpdir(), 'strand-jwks-'));
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] }));
    signToken = (sub) => new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject(sub).setIssuedAt().setExpirationTime(Math.floor(Date.now() / 1000) + 300).sign(pair.privateKey);
    broker = await startBroker({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0,REAUTH://127.0.0.1:0,OAUTH://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL,REAUTH:SASL_PLAINTEXT,OAUTH:SASL_PLAINTEXT',
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'sasl.jaas.config': PLAIN_JAAS,
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': pki.serverPem,
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': pki.caCert,
        'listener.name.ssl.ssl.client.auth': 'required',
        'listener.name.reauth.connections.max.reauth.ms': '1500',
        'listener.name.oauth.sasl.enabled.mechanisms': 'OAUTHBEARER',
        'listener.name.oauth.oauthbearer.sasl.server.callback.handler.class': VALIDATOR,
        'listener.name.oauth.oauthbearer.sasl.oauthbearer.jwks.endpoint.url': `file://${join(dir, 'jwks.json')}`,
        'connection.failed.authentication.delay.ms': '10',
      },
    });
    expect(await addSaslUsers(at('PLAINTEXT').bootstrap)).toEqual([0, 0]);
  });
  afterAll(async () => broker?.stop());

  /** Connect, ask Metadata, close; the broker's answer lists itself at the listener connected to. */
  async function metadataThrough(options: ConnectionOptions, listener: string): Promise<void> {
    const conn = await Connection.connect(options);
    try {
      const res = await conn.send(MetadataApi, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      expect(res.brokers.map((b) => [b.nodeId, b.port])).toEqual([[0, at(listener).port]]);
    } finally {
      await conn.close();
    }
  }

  for (const listener of ['SASL_PLAINTEXT', 'SASL_SSL'] as const) {
    for (const [mechanism, username, password] of SASL_USERS) {
      it(`${listener} ${mechanism}: authenticates and is served; a wrong password is refused with a typed error naming the broker and mechanism`, async () => {
        const tls = listener === 'SASL_SSL' ? { ca: ca() } : undefined;
        await metadataThrough({ ...endpoint(listener), tls, sasl: { mechanism, username, password } }, listener);
        const err = await Connection.connect({ ...endpoint(listener), tls, sasl: { mechanism, username, password: 'wrong' } }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(SaslAuthenticationError);
        const e = err as SaslAuthenticationError;
        expect([e.address, e.mechanism, e.errorCode, e.code]).toEqual([`127.0.0.1:${at(listener).port}`, mechanism, 58, 'ERR_STRAND_SASL_AUTHENTICATION']);
        expect(e.message).toBe(`SASL ${mechanism} authentication with 127.0.0.1:${at(listener).port} failed: SASL_AUTHENTICATION_FAILED: ${e.brokerMessage}`);
        expect(e.brokerMessage).toMatch(/^Authentication failed/);
      });
    }
  }

  it('a failed authentication delays the next attempt with the same credentials (no tight retry loop)', async () => {
    const options = { ...endpoint('SASL_PLAINTEXT'), sasl: { mechanism: 'PLAIN' as const, username: 'nobody', password: 'x' } };
    await expect(Connection.connect(options)).rejects.toBeInstanceOf(SaslAuthenticationError);
    await expect(Connection.connect(options)).rejects.toBeInstanceOf(SaslAuthenticationError);
    // The third attempt waits at least the second backoff step (200 ms) after the second failure.
    const started = Date.now();
    await expect(Connection.connect(options)).rejects.toBeInstanceOf(SaslAuthenticationError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('a mechanism the listener does not enable: UNSUPPORTED_SASL_MECHANISM with the enabled ones', async () => {
    const err = await Connection.connect({ ...endpoint('SASL_PLAINTEXT'), sasl: { mechanism: 'OAUTHBEARER', token: 'x' } }).catch((e: unknown) => e) as SaslAuthenticationError;
    expect(err).toBeInstanceOf(SaslAuthenticationError);
    expect(err.errorCode).toBe(33);
    expect(err.message).toBe(`SASL OAUTHBEARER authentication with 127.0.0.1:${at('SASL_PLAINTEXT').port} failed: SaslHandshake answered UNSUPPORTED_SASL_MECHANISM; the listener enables PLAIN, SCRAM-SHA-256, SCRAM-SHA-512`);
  });

  it('OAUTHBEARER with a signed token authenticates; an unsigned one is refused', async () => {
    await metadataThrough({ ...endpoint('OAUTH'), sasl: { mechanism: 'OAUTHBEARER', token: () => signToken('dave') } }, 'OAUTH');
    const err = await Connection.connect({ ...endpoint('OAUTH'), sasl: { mechanism: 'OAUTHBEARER', token: 'e30.e30.' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SaslAuthenticationError);
    expect((err as SaslAuthenticationError).errorCode).toBe(58);
  });

  it('TLS: the broker certificate must chain to the CA and name the host (ssl.endpoint.identification.algorithm=https)', async () => {
    await metadataThrough({ ...endpoint('SASL_SSL'), host: 'localhost', tls: { ca: ca() }, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } }, 'SASL_SSL');
    const untrusted = await Connection.connect({ ...endpoint('SASL_SSL'), tls: { ca: readFileSync(join(pki.dir, 'other-ca.crt')) } }).catch((e: unknown) => e) as SslAuthenticationError;
    expect(untrusted).toBeInstanceOf(SslAuthenticationError);
    expect(untrusted.message).toMatch(new RegExp(`^TLS handshake with 127\\.0\\.0\\.1:${at('SASL_SSL').port} failed: (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)`));
    const misnamed = await Connection.connect({ ...endpoint('SASL_SSL'), tls: { ca: ca(), servername: 'kafka.example' } }).catch((e: unknown) => e) as SslAuthenticationError;
    expect(misnamed).toBeInstanceOf(SslAuthenticationError);
    expect(misnamed.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
    // With endpoint identification off (ssl.endpoint.identification.algorithm= empty) only the chain is checked.
    await metadataThrough({ ...endpoint('SASL_SSL'), tls: { ca: ca(), servername: 'kafka.example', endpointIdentification: false }, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } }, 'SASL_SSL');
  });

  it('SSL with ssl.client.auth=required: served with a client certificate, refused without one', async () => {
    await metadataThrough({ ...endpoint('SSL'), tls: { ca: ca(), cert: readFileSync(pki.client.cert), key: readFileSync(pki.client.key) } }, 'SSL');
    const err = await Connection.connect({ ...endpoint('SSL'), tls: { ca: ca() } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SslAuthenticationError);
  });

  it('a session with a lifetime (connections.max.reauth.ms): the connection re-authenticates in place and is served past the first lifetime', async () => {
    const conn = await Connection.connect({ ...endpoint('REAUTH'), sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'bob-256-secret' } });
    try {
      const connected = Date.now();
      expect([conn.sessionLifetimeMs, conn.authentications]).toEqual([1500, 1]);
      // The broker closes a connection whose session ended at its next request (KIP-368).
      await until('two re-authentications, past the first session', () => conn.authentications >= 3 && Date.now() - connected > 1600, 15_000);
      const res = await conn.send(MetadataApi, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      expect(res.brokers.map((b) => b.port)).toEqual([at('REAUTH').port]);
      expect(conn.closed).toBe(false);
    } finally {
      await conn.close();
    }
  });

});
