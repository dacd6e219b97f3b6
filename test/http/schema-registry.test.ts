import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { type Answer, call, serve, type Served } from './serve.js';
import { tmpDir } from '../helpers/tmp.js';

const CT = 'application/vnd.schemaregistry.v1+json';

const userV1 = { type: 'record', name: 'User', namespace: 'com.example', fields: [{ name: 'name', type: 'string' }] };
const userV2 = { ...userV1, fields: [...userV1.fields, { name: 'age', type: 'int', default: 0 }] };
const userNoDefault = { ...userV1, fields: [...userV1.fields, { name: 'email', type: 'string' }] };

describe('schema registry REST API', () => {
  let s: Served;
  const req = (method: string, path: string, body?: unknown): Promise<Answer> => call(s.url, method, path, body);

  beforeAll(async () => {
    s = await serve();
  });
  afterAll(async () => {
    await s.stop();
  });

  it('starts empty, in Confluent content type', async () => {
    expect(await req('GET', '/subjects')).toEqual({ status: 200, type: CT, body: [] });
    expect((await req('GET', '/schemas/types')).body).toEqual(['JSON', 'PROTOBUF', 'AVRO']);
    expect((await req('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await req('GET', '/mode')).body).toEqual({ mode: 'READWRITE' });
  });

  it('registers Avro versions under BACKWARD and refuses an incompatible one with 409', async () => {
    // Whitespace does not matter: the schema is kept compact.
    expect(await req('POST', '/subjects/users-value/versions', { schema: JSON.stringify(userV1, null, 2) })).toEqual({ status: 200, type: CT, body: { id: 1 } });
    expect((await req('POST', '/subjects/users-value/versions', { schema: JSON.stringify(userV1) })).body).toEqual({ id: 1 });
    expect((await req('POST', '/subjects/users-value/versions', { schema: JSON.stringify(userV2) })).body).toEqual({ id: 2 });
    const refused = await req('POST', '/subjects/users-value/versions', { schema: JSON.stringify(userNoDefault) });
    expect(refused.status).toBe(409);
    expect((refused.body as { error_code: number }).error_code).toBe(409);
    expect((refused.body as { message: string }).message).toMatch(/^Schema being registered is incompatible with an earlier schema for subject "users-value", details: \[.*READER_CANNOT_READ_WRITER/);
    expect((await req('GET', '/subjects/users-value/versions')).body).toEqual([1, 2]);
    expect((await req('GET', '/subjects/users-value/versions/1')).body).toEqual({ subject: 'users-value', version: 1, id: 1, schema: JSON.stringify(userV1) });
    expect((await req('GET', '/subjects/users-value/versions/latest')).body).toEqual({ subject: 'users-value', version: 2, id: 2, schema: JSON.stringify(userV2) });
    expect((await req('GET', '/subjects/users-value/versions/latest/schema')).body).toEqual(userV2);
    expect((await req('GET', '/schemas/ids/2')).body).toEqual({ schema: JSON.stringify(userV2) });
    expect((await req('GET', '/schemas/ids/1/schema')).body).toEqual(userV1);
    // The same schema under another subject keeps its id.
    expect((await req('POST', '/subjects/copy/versions', { schema: JSON.stringify(userV1) })).body).toEqual({ id: 1 });
    expect((await req('GET', '/schemas/ids/1/subjects')).body).toEqual(['copy', 'users-value']);
    expect((await req('GET', '/schemas/ids/1/versions')).body).toEqual([{ subject: 'copy', version: 1 }, { subject: 'users-value', version: 1 }]);
    expect((await req('POST', '/subjects/users-value', { schema: JSON.stringify(userV1) })).body).toEqual({ subject: 'users-value', version: 1, id: 1, schema: JSON.stringify(userV1) });
    expect((await req('GET', '/schemas?subjectPrefix=users&latestOnly=true')).body).toEqual([{ subject: 'users-value', version: 2, id: 2, schema: JSON.stringify(userV2) }]);
  });

  it('answers the documented error codes', async () => {
    expect(await req('GET', '/subjects/nope/versions')).toEqual({ status: 404, type: CT, body: { error_code: 40401, message: "Subject 'nope' not found." } });
    expect((await req('GET', '/subjects/users-value/versions/9')).body).toEqual({ error_code: 40402, message: 'Version 9 not found.' });
    expect((await req('GET', '/schemas/ids/99')).body).toEqual({ error_code: 40403, message: 'Schema 99 not found' });
    expect((await req('POST', '/subjects/users-value', { schema: '"string"' })).body).toEqual({ error_code: 40403, message: 'Schema not found' });
    const bad = await req('POST', '/subjects/bad/versions', { schema: '{"type":"record","name":"X","fields":[{"name":"a","type":"nosuch"}]}' });
    expect(bad.status).toBe(422);
    expect((bad.body as { error_code: number }).error_code).toBe(42201);
    expect((await req('POST', '/subjects/bad/versions', { schema: '{not json' })).status).toBe(422);
    expect((await req('GET', '/subjects/users-value/versions/abc')).body).toEqual({
      error_code: 42202, message: "The specified version 'abc' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"",
    });
    expect((await req('GET', '/subjects/users-value/versions/0')).status).toBe(422);
    expect((await req('PUT', '/config', { compatibility: 'SIDEWAYS' })).body).toEqual({
      error_code: 42203, message: 'Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive',
    });
    expect((await req('PUT', '/mode', { mode: 'SOMETIMES' })).body).toMatchObject({ error_code: 42204 });
    const malformed = await req('POST', '/subjects/x/versions', '{"schema": ');
    expect(malformed.status).toBe(400);
    expect((malformed.body as { error_code: number }).error_code).toBe(400);
    expect((await req('GET', '/config/users-value')).body).toEqual({ error_code: 40408, message: "Subject 'users-value' does not have subject-level compatibility configured" });
    expect((await req('GET', '/config/users-value?defaultToGlobal=true')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
  });

  it('refuses a body over the limit without falling over', async () => {
    const huge = await fetch(`${s.url}/subjects/huge/versions`, { method: 'POST', headers: { 'content-type': CT }, body: JSON.stringify({ schema: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(huge.status).toBe(413);
    expect((await req('GET', '/subjects')).status).toBe(200);
  });

  it('checks compatibility without registering, verbose or not', async () => {
    expect((await req('POST', '/compatibility/subjects/users-value/versions/latest', { schema: JSON.stringify(userNoDefault) })).body).toEqual({ is_compatible: false });
    const verbose = await req('POST', '/compatibility/subjects/users-value/versions/1?verbose=true', { schema: JSON.stringify(userV2) });
    expect(verbose.body).toEqual({ is_compatible: true, messages: [] });
    expect((await req('POST', '/compatibility/subjects/users-value/versions', { schema: JSON.stringify(userNoDefault) })).body).toEqual({ is_compatible: false });
    expect((await req('POST', '/compatibility/subjects/nope/versions/1', { schema: '"string"' })).body).toMatchObject({ error_code: 40401 });
  });

  it('sets compatibility per subject and falls back to the global level', async () => {
    expect((await req('PUT', '/config/users-value', { compatibility: 'NONE' })).body).toEqual({ compatibility: 'NONE' });
    expect((await req('GET', '/config/users-value')).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await req('POST', '/subjects/users-value/versions', { schema: JSON.stringify(userNoDefault) })).body).toEqual({ id: 3 });
    expect((await req('DELETE', '/config/users-value')).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await req('GET', '/config/users-value')).body).toMatchObject({ error_code: 40408 });
  });

  it('soft deletes, then hard deletes, in that order', async () => {
    expect((await req('DELETE', '/subjects/copy?permanent=true')).body).toEqual({ error_code: 40405, message: "Subject 'copy' was not deleted first before being permanently deleted" });
    expect((await req('DELETE', '/subjects/copy')).body).toEqual([1]);
    expect((await req('DELETE', '/subjects/copy')).body).toEqual({ error_code: 40404, message: "Subject 'copy' was soft deleted.Set permanent=true to delete permanently" });
    expect((await req('GET', '/subjects')).body).toEqual(['users-value']);
    expect((await req('GET', '/subjects?deleted=true')).body).toEqual(['copy', 'users-value']);
    expect((await req('GET', '/subjects/copy/versions')).body).toMatchObject({ error_code: 40401 });
    expect((await req('GET', '/subjects/copy/versions?deleted=true')).body).toEqual([1]);
    expect((await req('DELETE', '/subjects/copy?permanent=true')).body).toEqual([1]);
    expect((await req('GET', '/subjects?deleted=true')).body).toEqual(['users-value']);
    // Versions: soft, again (40406), hard; a live version cannot be hard-deleted (40407).
    expect((await req('DELETE', '/subjects/users-value/versions/3?permanent=true')).body).toEqual({ error_code: 40407, message: "Subject 'users-value' Version 3 was not deleted first before being permanently deleted" });
    expect((await req('DELETE', '/subjects/users-value/versions/3')).body).toBe(3);
    expect((await req('DELETE', '/subjects/users-value/versions/3')).body).toMatchObject({ error_code: 40402 });
    expect((await req('GET', '/subjects/users-value/versions')).body).toEqual([1, 2]);
    expect((await req('DELETE', '/subjects/users-value/versions/3?permanent=true')).body).toBe(3);
    expect((await req('GET', '/subjects/users-value/versions?deleted=true')).body).toEqual([1, 2]);
    // The id of the schema deleted everywhere is gone; the next schema gets a new one.
    expect((await req('GET', '/schemas/ids/3')).body).toMatchObject({ error_code: 40403 });
  });

  it('keeps references and refuses to delete what is referenced', async () => {
    const address = { type: 'record', name: 'Address', namespace: 'com.example', fields: [{ name: 'city', type: 'string' }] };
    expect((await req('POST', '/subjects/address/versions', { schema: JSON.stringify(address) })).body).toEqual({ id: 4 });
    const person = { type: 'record', name: 'Person', namespace: 'com.example', fields: [{ name: 'home', type: 'com.example.Address' }] };
    const references = [{ name: 'com.example.Address', subject: 'address', version: 1 }];
    expect((await req('POST', '/subjects/person/versions', { schema: JSON.stringify(person), references })).body).toEqual({ id: 5 });
    expect((await req('GET', '/subjects/person/versions/1')).body).toEqual({ subject: 'person', version: 1, id: 5, references, schema: JSON.stringify(person) });
    expect((await req('GET', '/subjects/address/versions/1/referencedby')).body).toEqual([5]);
    expect((await req('DELETE', '/subjects/address')).body).toMatchObject({ error_code: 42206 });
    // Without its reference the schema does not parse.
    expect((await req('POST', '/subjects/person2/versions', { schema: JSON.stringify(person) })).body).toMatchObject({ error_code: 42201 });
    const missing = await req('POST', '/subjects/person3/versions', { schema: JSON.stringify(person), references: [{ name: 'x', subject: 'nope', version: 1 }] });
    expect(missing.body).toMatchObject({ error_code: 42201 });
  });

  it('registers JSON Schema and Protobuf with schemaType', async () => {
    const json = { type: 'object', properties: { id: { type: 'integer' } }, additionalProperties: false };
    expect((await req('POST', '/subjects/j/versions', { schemaType: 'JSON', schema: JSON.stringify(json) })).body).toEqual({ id: 6 });
    expect((await req('GET', '/schemas/ids/6')).body).toEqual({ schemaType: 'JSON', schema: JSON.stringify(json) });
    const required = { ...json, properties: { ...json.properties, name: { type: 'string' } }, required: ['name'] };
    expect((await req('POST', '/subjects/j/versions', { schemaType: 'JSON', schema: JSON.stringify(required) })).body).toMatchObject({ error_code: 409 });
    const proto = 'syntax = "proto3";\npackage t;\nmessage M { int32 a = 1; }';
    expect((await req('POST', '/subjects/p/versions', { schemaType: 'PROTOBUF', schema: proto })).body).toEqual({ id: 7 });
    expect((await req('POST', '/subjects/p/versions', { schemaType: 'PROTOBUF', schema: 'syntax = "proto3";\npackage t;\nmessage M { string a = 1; }' })).body).toMatchObject({ error_code: 409 });
    expect((await req('POST', '/subjects/p/versions', { schemaType: 'PROTOBUF', schema: 'message {' })).body).toMatchObject({ error_code: 42201 });
    expect((await req('GET', '/subjects/p/versions/1')).body).toEqual({ subject: 'p', version: 1, id: 7, schemaType: 'PROTOBUF', schema: proto });
  });

  it('refuses writes in READONLY mode (42205) and takes them again in READWRITE', async () => {
    expect((await req('PUT', '/mode/users-value', { mode: 'READONLY' })).body).toEqual({ mode: 'READONLY' });
    expect((await req('POST', '/subjects/users-value/versions', { schema: '"string"' })).body).toEqual({ error_code: 42205, message: 'Subject users-value is in read-only mode' });
    expect((await req('DELETE', '/mode/users-value')).body).toEqual({ mode: 'READONLY' });
    expect((await req('GET', '/mode/users-value')).body).toMatchObject({ error_code: 40409 });
  });
});

describe('schema registry restart', () => {
  it('rebuilds ids, versions, deletions and configs from _schemas alone', async () => {
    const dataDir = tmpDir('strand-sr-');
    const first = await serve({ dataDir });
    try {
      expect((await call(first.url, 'POST', '/subjects/a/versions', { schema: JSON.stringify(userV1) })).body).toEqual({ id: 1 });
      expect((await call(first.url, 'POST', '/subjects/a/versions', { schema: JSON.stringify(userV2) })).body).toEqual({ id: 2 });
      expect((await call(first.url, 'POST', '/subjects/b/versions', { schema: '"string"' })).body).toEqual({ id: 3 });
      expect((await call(first.url, 'DELETE', '/subjects/b')).body).toEqual([1]);
      expect((await call(first.url, 'PUT', '/config', { compatibility: 'FULL_TRANSITIVE' })).body).toEqual({ compatibility: 'FULL_TRANSITIVE' });
    } finally {
      await first.stop();
    }
    const second = await serve({ dataDir });
    try {
      expect((await call(second.url, 'GET', '/subjects')).body).toEqual(['a']);
      expect((await call(second.url, 'GET', '/subjects/b/versions?deleted=true')).body).toEqual([1]);
      expect((await call(second.url, 'GET', '/subjects/a/versions/2')).body).toEqual({ subject: 'a', version: 2, id: 2, schema: JSON.stringify(userV2) });
      expect((await call(second.url, 'GET', '/config')).body).toEqual({ compatibilityLevel: 'FULL_TRANSITIVE' });
      // Ids continue after the highest one in the log.
      expect((await call(second.url, 'POST', '/subjects/c/versions', { schema: '"bytes"' })).body).toEqual({ id: 4 });
    } finally {
      await second.stop();
    }
  });
});

describe('schema registry on the broker admin listener', () => {
  it('serves /subjects at the root of http.listeners, Kafka clients reaching the schemas it stores', async () => {
    const broker = await startBroker({ logLevel: 'silent', config: { 'http.listeners': 'http://127.0.0.1:0' } });
    try {
      const url = broker.http[0]!;
      expect(await call(url, 'POST', '/subjects/t-value/versions', { schema: JSON.stringify(userV1) })).toEqual({ status: 200, type: CT, body: { id: 1 } });
      expect(await call(url, 'GET', '/subjects')).toEqual({ status: 200, type: CT, body: ['t-value'] });
      expect((await call(url, 'GET', '/nope/versions')).status).toBe(404);
    } finally {
      await broker.stop();
    }
  });
});
