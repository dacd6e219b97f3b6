import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { GUARDS, UNGUARDED } from '../../src/broker/handlers/security/enforce/index.js';
import { API_BY_KEY, ApiVersionsApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';

describe('authorization covers every served API', () => {
  it('each API the broker advertises has a check, or is one Kafka checks nothing for (or that checks itself)', async () => {
    const broker = await startBroker({ logLevel: 'silent', config: { 'authorizer.class.name': 'strand' } });
    try {
      const c = await RawClient.open(broker.bootstrap);
      const served = (await c.request(ApiVersionsApi, 0, {})).apiKeys.map((v) => v.apiKey);
      c.close();
      expect(served.length).toBeGreaterThan(40);
      const unchecked = served.filter((k) => GUARDS[k] === undefined && !UNGUARDED.has(k)).map((k) => API_BY_KEY[k]?.name ?? k);
      expect(unchecked).toEqual([]);
    } finally {
      await broker.stop();
    }
  });

  it('an authorizer strand does not have, or a bad super.users or allow.everyone.if.no.acl.found, stops the start naming it', async () => {
    await expect(startBroker({ logLevel: 'silent', config: { 'authorizer.class.name': 'com.example.Auth' } })).rejects.toThrow(
      "refusing to start: authorizer.class.name=com.example.Auth is not an authorizer strand has (use kafka.security.authorizer.AclAuthorizer, org.apache.kafka.metadata.authorizer.StandardAuthorizer, strand, all meaning strand's ACL authorizer)",
    );
    await expect(startBroker({ logLevel: 'silent', config: { 'authorizer.class.name': 'strand', 'super.users': 'User:a;bob' } })).rejects.toThrow('super.users entry "bob" is not a principal');
    await expect(startBroker({ logLevel: 'silent', config: { 'authorizer.class.name': 'strand', 'allow.everyone.if.no.acl.found': 'yes' } })).rejects.toThrow('allow.everyone.if.no.acl.found=yes (expected true or false)');
  });
});
