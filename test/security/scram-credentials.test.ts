import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { AlterUserScramCredentialsApi, ApiVersionsApi, CreateAclsApi, DeleteAclsApi, DescribeAclsApi, DescribeUserScramCredentialsApi } from '../../src/protocol/messages/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { tmpDir } from '../helpers/tmp.js';
import { addScramUser } from './sasl-helpers.js';

describe('SCRAM credentials (DescribeUserScramCredentials / AlterUserScramCredentials)', () => {
  it('are stored salted and hashed, checked as Kafka checks them, and survive a restart', async () => {
    const dataDir = tmpDir();
    let broker = await startBroker({ dataDir });
    expect(await addScramUser(broker.bootstrap, 'carol', 'carol-password', 'SCRAM-SHA-256', 8192)).toEqual({ user: 'carol', errorCode: 0, errorMessage: null });
    expect(await addScramUser(broker.bootstrap, 'dave', 'x', 'SCRAM-SHA-512', 100)).toEqual({ user: 'dave', errorCode: 93, errorMessage: 'Too few iterations' });
    expect(await addScramUser(broker.bootstrap, 'dave', 'x', 'SCRAM-SHA-512', 20000)).toEqual({ user: 'dave', errorCode: 93, errorMessage: 'Too many iterations' });
    let c = await RawClient.open(broker.bootstrap);
    const alter = await c.request(AlterUserScramCredentialsApi, 0, {
      deletions: [{ name: 'nobody', mechanism: 1 }, { name: 'erin', mechanism: 1 }],
      upsertions: [{ name: 'erin', mechanism: 1, iterations: 4096, salt: Buffer.from('s'), saltedPassword: Buffer.alloc(32) }, { name: 'frank', mechanism: 3, iterations: 4096, salt: Buffer.from('s'), saltedPassword: Buffer.alloc(32) }],
    });
    expect(alter.results).toEqual([
      { user: 'nobody', errorCode: 91, errorMessage: 'Attempt to delete a user credential that does not exist' },
      { user: 'erin', errorCode: 92, errorMessage: 'A user credential cannot be altered twice in the same request' },
      { user: 'frank', errorCode: 33, errorMessage: 'Unknown SCRAM mechanism' },
    ]);
    c.close();
    const file = readFileSync(join(dataDir, '__strand_metadata', 'scram-credentials'), 'utf8');
    expect(file).not.toContain('carol-password');
    expect(Object.keys(JSON.parse(file).users.carol['SCRAM-SHA-256']).sort()).toEqual(['iterations', 'salt', 'serverKey', 'storedKey']);
    await broker.stop();

    broker = await startBroker({ dataDir });
    c = await RawClient.open(broker.bootstrap);
    const all = await c.request(DescribeUserScramCredentialsApi, 0, { users: null });
    expect(all).toMatchObject({ errorCode: 0, results: [{ user: 'carol', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 1, iterations: 8192 }] }] });
    const some = await c.request(DescribeUserScramCredentialsApi, 0, { users: [{ name: 'carol' }, { name: 'zed' }, { name: 'carol' }] });
    expect(some.results).toEqual([
      { user: 'carol', errorCode: 92, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request', credentialInfos: [] },
      { user: 'zed', errorCode: 91, errorMessage: 'Attempt to describe a user credential that does not exist', credentialInfos: [] },
    ]);
    expect((await c.request(AlterUserScramCredentialsApi, 0, { deletions: [{ name: 'carol', mechanism: 1 }], upsertions: [] })).results).toEqual([{ user: 'carol', errorCode: 0, errorMessage: null }]);
    expect((await c.request(DescribeUserScramCredentialsApi, 0, { users: null })).results).toEqual([]);
    c.close();
    await broker.stop();
  });
});

describe('ACL APIs without an authorizer', () => {
  it('are advertised and answer SECURITY_DISABLED as Kafka does', async () => {
    const broker = await startBroker();
    const c = await RawClient.open(broker.bootstrap);
    const keys = (await c.request(ApiVersionsApi, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).apiKeys;
    expect(keys.filter((k) => [29, 30, 31].includes(k.apiKey))).toEqual([{ apiKey: 29, minVersion: 0, maxVersion: 3 }, { apiKey: 30, minVersion: 0, maxVersion: 3 }, { apiKey: 31, minVersion: 0, maxVersion: 3 }]);
    const msg = 'No Authorizer is configured on the broker';
    const acl = { resourceType: 2, resourceName: 't', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 };
    expect((await c.request(CreateAclsApi, 3, { creations: [acl, acl] })).results).toEqual([{ errorCode: 54, errorMessage: msg }, { errorCode: 54, errorMessage: msg }]);
    expect(await c.request(DescribeAclsApi, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 })).toMatchObject({ errorCode: 54, errorMessage: msg, resources: [] });
    expect((await c.request(DeleteAclsApi, 3, { filters: [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }] })).filterResults).toEqual([{ errorCode: 54, errorMessage: msg, matchingAcls: [] }]);
    c.close();
    await broker.stop();
  });
});
