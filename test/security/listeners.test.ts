import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { MetadataApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';

const refused = (config: Record<string, string>) => startBroker({ config, logLevel: 'silent' });

describe('listeners fail closed', () => {
  it('a SASL_SSL listener without its TLS and SASL settings stops the start instead of serving plain TCP', async () => {
    await expect(refused({ listeners: 'SASL_SSL://127.0.0.1:0' })).rejects.toThrow('listener SASL_SSL uses SASL_SSL but has no key: set ssl.keystore.type=PEM and ssl.keystore.location (or ssl.keystore.key and ssl.keystore.certificate.chain), or listener.name.sasl_ssl.ssl.* for this listener');
  });

  it('a listener whose name is not in listener.security.protocol.map stops the start', async () => {
    await expect(refused({ listeners: 'CLIENTS://127.0.0.1:0' })).rejects.toThrow(
      'listeners: no security protocol defined for listener CLIENTS in listener.security.protocol.map (PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL)',
    );
  });

  it('an unknown security protocol in the map stops the start', async () => {
    await expect(refused({ listeners: 'A://127.0.0.1:0', 'listener.security.protocol.map': 'A:TLS' })).rejects.toThrow('listener.security.protocol.map: A:TLS: unknown security protocol TLS');
  });

  it('unknown ssl.* and sasl.* settings stop the start, naming each', async () => {
    await expect(refused({ 'ssl.keystore.lokation': '/x', 'sasl.oauthbearer.token.endpoint.url': 'http://x' })).rejects.toThrow(
      'refusing to start: security settings strand cannot honour: ssl.keystore.lokation (strand does not support it); sasl.oauthbearer.token.endpoint.url (strand does not support it)',
    );
  });

  it('a listener prefix of a listener that does not exist stops the start', async () => {
    await expect(refused({ 'listener.name.external.ssl.client.auth': 'required' })).rejects.toThrow('listener.name.external.ssl.client.auth (no listener named EXTERNAL in listeners)');
  });

  it('Java plug-in classes and an authorizer strand does not have stop the start; Kafka\'s default principal builder written out does not', async () => {
    await expect(refused({ 'authorizer.class.name': 'com.example.MyAuthorizer' })).rejects.toThrow('authorizer.class.name=com.example.MyAuthorizer is not an authorizer strand has');
    await expect(refused({ 'principal.builder.class': 'com.example.Builder' })).rejects.toThrow('principal.builder.class=com.example.Builder (strand loads no Java classes)');
    const broker = await startBroker({ config: { 'principal.builder.class': 'org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder' } });
    await broker.stop();
  });

  it('duplicate names and ports, and advertised listeners that are not listeners, stop the start', async () => {
    await expect(refused({ listeners: 'PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0' })).rejects.toThrow('each listener must have a different name, PLAINTEXT appears twice');
    await expect(refused({ listeners: 'PLAINTEXT://127.0.0.1:19092,B://127.0.0.1:19092', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,B:PLAINTEXT' })).rejects.toThrow('each listener must have a different port, 19092 appears twice');
    await expect(refused({ 'advertised.listeners': 'OTHER://h:1' })).rejects.toThrow('advertised.listeners: listener OTHER is not one of listeners (PLAINTEXT)');
    await expect(refused({ 'inter.broker.listener.name': 'PLAINTEXT', 'security.inter.broker.protocol': 'PLAINTEXT' })).rejects.toThrow('Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.');
    await expect(refused({ 'inter.broker.listener.name': 'REPLICATION' })).rejects.toThrow('inter.broker.listener.name=REPLICATION must be a listener name defined in advertised.listeners (PLAINTEXT)');
  });
});

describe('several listeners', () => {
  it('binds each listener on its own port and tells each client the address of its own listener', async () => {
    const broker = await startBroker({
      config: {
        listeners: 'PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT',
        'inter.broker.listener.name': 'INTERNAL',
      },
    });
    try {
      expect(broker.listeners.map((l) => [l.name, l.securityProtocol])).toEqual([['PLAINTEXT', 'PLAINTEXT'], ['INTERNAL', 'PLAINTEXT']]);
      const [a, b] = broker.listeners;
      expect(a!.port).not.toBe(b!.port);
      for (const l of broker.listeners) {
        const c = await RawClient.open(l.bootstrap);
        const res = await c.request(MetadataApi, 1, { topics: null });
        expect(res.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: l.port, rack: null }]);
        c.close();
      }
    } finally {
      await broker.stop();
    }
  });
});
