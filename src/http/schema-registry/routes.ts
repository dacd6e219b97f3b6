/**
 * Confluent Schema Registry's REST API (v1) on fastify: /subjects, /schemas, /config, /mode,
 * /compatibility, with Confluent's request and response shapes, field names and error codes.
 * Responses are `application/vnd.schemaregistry.v1+json`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalidCompatibilityLevel, invalidMode, invalidSchema, invalidVersion, RegistryError, unknownLeader, unprocessable } from './errors.js';
import { FORWARDED_HEADER } from './forward.js';
import { schemaTypeOf } from './formats/index.js';
import { acceptJson, confluentErrors, SCHEMA_REGISTRY_V1_JSON } from './http-common.js';
import type { Registry, SchemaInput, VersionSpec } from './registry.js';
import type { StoredSchema } from './state.js';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel, MODES, type Mode, SCHEMA_TYPES, type SchemaReference, type SchemaVersion } from './types.js';

type Query = Record<string, string | undefined>;
type Params = Record<string, string>;

const flag = (q: Query, name: string): boolean => q[name] === 'true';

function parseVersion(raw: string): VersionSpec {
  if (raw === 'latest' || raw === '-1') return 'latest';
  if (!/^\d{1,10}$/.test(raw)) throw invalidVersion(raw);
  const n = Number(raw);
  if (n < 1 || n > 2 ** 31 - 1) throw invalidVersion(raw);
  return n;
}

function parseId(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new RegistryError(404, `HTTP 404 Not Found`);
  return n;
}

function referencesOf(value: unknown): SchemaReference[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw unprocessable('references must be an array');
  return value.map((r: unknown) => {
    const o = r as Record<string, unknown>;
    if (typeof o?.name !== 'string' || typeof o.subject !== 'string' || !Number.isInteger(o.version)) {
      throw invalidSchema(`Invalid schema reference ${JSON.stringify(r)}: name, subject and version are required`);
    }
    return { name: o.name, subject: o.subject, version: o.version as number };
  });
}

/** A registration or lookup body: `{"schema": "...", "schemaType"?: "...", "references"?: [...]}`. */
function inputOf(body: unknown): SchemaInput {
  if (typeof body !== 'object' || body === null) throw unprocessable('the request body must be a JSON object with a "schema" field');
  const o = body as Record<string, unknown>;
  if (typeof o.schema !== 'string') throw new RegistryError(42201, 'Empty schema');
  const input: SchemaInput = { schema: o.schema, schemaType: schemaTypeOf(o.schemaType), references: referencesOf(o.references) };
  if (o.id !== undefined && o.id !== null) input.id = Number(o.id);
  if (o.version !== undefined && o.version !== null) input.version = Number(o.version);
  return input;
}

/** Confluent omits `schemaType` for AVRO and `references` when empty. */
function schemaFields(s: { schemaType: string; references: readonly SchemaReference[] }): Record<string, unknown> {
  return { ...(s.schemaType !== 'AVRO' ? { schemaType: s.schemaType } : {}), ...(s.references.length > 0 ? { references: s.references } : {}) };
}

function versionJson(v: SchemaVersion): Record<string, unknown> {
  return { subject: v.subject, version: v.version, id: v.id, ...schemaFields(v), schema: v.schema };
}

function byIdJson(s: StoredSchema): Record<string, unknown> {
  return { ...schemaFields(s), schema: s.schema };
}

function levelOf(body: unknown): CompatibilityLevel {
  const level = String((body as { compatibility?: unknown } | undefined)?.compatibility ?? '').toUpperCase() as CompatibilityLevel;
  if (!COMPATIBILITY_LEVELS.includes(level)) throw invalidCompatibilityLevel();
  return level;
}

function modeOf(body: unknown): Mode {
  const mode = String((body as { mode?: unknown } | undefined)?.mode ?? '').toUpperCase() as Mode;
  if (!MODES.includes(mode)) throw invalidMode();
  return mode;
}

function compatibilityAnswer(problems: string[], verbose: boolean): Record<string, unknown> {
  return { is_compatible: problems.length === 0, ...(verbose ? { messages: problems } : {}) };
}

export function registryRoutes(app: FastifyInstance, registry: () => Promise<Registry>, onServerError: (err: Error) => void): void {
  acceptJson(app, ['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/octet-stream']);
  confluentErrors(app, SCHEMA_REGISTRY_V1_JSON, onServerError);
  app.addHook('onSend', async (_req, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('application/json') || type.startsWith(SCHEMA_REGISTRY_V1_JSON)) reply.header('content-type', SCHEMA_REGISTRY_V1_JSON);
    return payload;
  });
  // A write forwarded here by a broker that took this one for the leader, which it is not (any
  // more): refused rather than forwarded on, so a request never travels in a loop.
  app.addHook('preHandler', async (req) => {
    if (req.headers[FORWARDED_HEADER] !== undefined && !(await registry()).leadership.isLeader()) throw unknownLeader();
  });
  const q = (req: FastifyRequest): Query => req.query as Query;
  const p = (req: FastifyRequest): Params => req.params as Params;
  /** The caller's credentials, passed on when a write is forwarded to the leader. */
  const auth = (req: FastifyRequest): string | undefined => req.headers.authorization;

  app.get('/schemas/types', async () => SCHEMA_TYPES);
  app.get('/schemas', async (req) => {
    const r = await registry();
    const query = q(req);
    const deleted = flag(query, 'deleted');
    const out: Record<string, unknown>[] = [];
    for (const subject of r.subjects(query.subjectPrefix ?? '', deleted)) {
      const versions = r.state.versionsOf(subject, deleted);
      for (const v of flag(query, 'latestOnly') ? versions.slice(-1) : versions) out.push(versionJson(v));
    }
    return out;
  });
  app.get('/schemas/ids/:id', async (req) => byIdJson((await registry()).schemaById(parseId(p(req).id!))));
  app.get('/schemas/ids/:id/schema', async (req, reply) => {
    const s = (await registry()).schemaById(parseId(p(req).id!));
    return reply.header('content-type', SCHEMA_REGISTRY_V1_JSON).send(s.schema);
  });
  app.get('/schemas/ids/:id/subjects', async (req) => [...new Set((await registry()).usesOf(parseId(p(req).id!), flag(q(req), 'deleted')).map((v) => v.subject))]);
  app.get('/schemas/ids/:id/versions', async (req) => (await registry()).usesOf(parseId(p(req).id!), flag(q(req), 'deleted')).map((v) => ({ subject: v.subject, version: v.version })));

  app.get('/subjects', async (req) => (await registry()).subjects(q(req).subjectPrefix ?? '', flag(q(req), 'deleted')));
  app.get('/subjects/:subject/versions', async (req) => (await registry()).versions(p(req).subject!, flag(q(req), 'deleted')));
  app.get('/subjects/:subject/versions/:version', async (req) => versionJson((await registry()).version(p(req).subject!, parseVersion(p(req).version!), flag(q(req), 'deleted'))));
  app.get('/subjects/:subject/versions/:version/schema', async (req, reply) => {
    const v = (await registry()).version(p(req).subject!, parseVersion(p(req).version!), flag(q(req), 'deleted'));
    return reply.header('content-type', SCHEMA_REGISTRY_V1_JSON).send(v.schema);
  });
  app.get('/subjects/:subject/versions/:version/referencedby', async (req) => {
    const r = await registry();
    const v = r.version(p(req).subject!, parseVersion(p(req).version!), false);
    return r.referencedBy(v.subject, v.version);
  });
  app.post('/subjects/:subject/versions', async (req) => (await registry()).register(p(req).subject!, inputOf(req.body), flag(q(req), 'normalize'), auth(req)));
  app.post('/subjects/:subject', async (req) => versionJson((await registry()).lookup(p(req).subject!, inputOf(req.body), flag(q(req), 'normalize'), flag(q(req), 'deleted'))));
  app.delete('/subjects/:subject', async (req) => (await registry()).deleteSubject(p(req).subject!, flag(q(req), 'permanent'), auth(req)));
  app.delete('/subjects/:subject/versions/:version', async (req) => (await registry()).deleteVersion(p(req).subject!, parseVersion(p(req).version!), flag(q(req), 'permanent'), auth(req)));

  app.post('/compatibility/subjects/:subject/versions/:version', async (req) => {
    const problems = (await registry()).testCompatibility(p(req).subject!, parseVersion(p(req).version!), inputOf(req.body));
    return compatibilityAnswer(problems, flag(q(req), 'verbose'));
  });
  app.post('/compatibility/subjects/:subject/versions', async (req) => {
    const problems = (await registry()).testCompatibility(p(req).subject!, null, inputOf(req.body));
    return compatibilityAnswer(problems, flag(q(req), 'verbose'));
  });

  app.get('/config', async () => ({ compatibilityLevel: (await registry()).compatibilityOf(null) }));
  app.put('/config', async (req) => {
    const level = levelOf(req.body);
    await (await registry()).setCompatibility(null, level, auth(req));
    return { compatibility: level };
  });
  app.get('/config/:subject', async (req) => ({ compatibilityLevel: (await registry()).subjectCompatibility(p(req).subject!, flag(q(req), 'defaultToGlobal')) }));
  app.put('/config/:subject', async (req) => {
    const level = levelOf(req.body);
    await (await registry()).setCompatibility(p(req).subject!, level, auth(req));
    return { compatibility: level };
  });
  app.delete('/config/:subject', async (req) => ({ compatibilityLevel: await (await registry()).deleteCompatibility(p(req).subject!, auth(req)) }));

  app.get('/mode', async () => ({ mode: (await registry()).modeOf(null) }));
  app.put('/mode', async (req) => {
    const mode = modeOf(req.body);
    await (await registry()).setMode(null, mode, auth(req));
    return { mode };
  });
  app.get('/mode/:subject', async (req) => ({ mode: (await registry()).subjectMode(p(req).subject!, flag(q(req), 'defaultToGlobal')) }));
  app.put('/mode/:subject', async (req) => {
    const mode = modeOf(req.body);
    await (await registry()).setMode(p(req).subject!, mode, auth(req));
    return { mode };
  });
  app.delete('/mode/:subject', async (req) => ({ mode: await (await registry()).deleteMode(p(req).subject!, auth(req)) }));
}
