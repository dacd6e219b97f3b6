/**
 * The committed codecs in src/protocol/messages are exactly what scripts/gen-protocol.ts
 * produces from the schemas: regenerate into a temporary directory and compare every byte.
 * On failure run `npx tsx scripts/gen-protocol.ts` and commit the result.
 *
 * The only test that reads Kafka's JSON schemas (`../shared/kafka-protocol/messages` beside the
 * repository, or STRAND_KAFKA_SCHEMAS). A clone without them skips it, and only it: every other
 * protocol test works from the layouts the generated modules export.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { defaultSchemaDir, GENERATED_HEADER, generate, loadSchemas, writeGenerated } from '../../scripts/gen-protocol.js';
import * as M from '../../src/protocol/messages/index.js';

const SCHEMA_DIR = defaultSchemaDir();
const present = existsSync(SCHEMA_DIR);
const committedDir = resolve(import.meta.dirname, '..', '..', 'src', 'protocol', 'messages');

// Without the schemas: one skipped test whose name says why.
if (!present) test.skip(`the generated code is not checked: no Kafka JSON schemas at ${SCHEMA_DIR} (set STRAND_KAFKA_SCHEMAS)`, () => {});
else describe(`regenerated from ${SCHEMA_DIR}`, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'strand-gen-protocol-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test('generated code is up to date', () => {
    writeGenerated(generate(SCHEMA_DIR), tmp);
    const fresh = readdirSync(tmp).sort();
    const committed = readdirSync(committedDir).filter((f) => f.endsWith('.ts')).sort();
    expect(committed).toEqual(fresh);
    for (const f of fresh) {
      const a = readFileSync(join(tmp, f), 'utf8');
      const b = readFileSync(join(committedDir, f), 'utf8');
      expect(b.startsWith(GENERATED_HEADER + '\n'), `${f} first line`).toBe(true);
      expect(b === a, `${f} differs from the generator's output; run npx tsx scripts/gen-protocol.ts`).toBe(true);
    }
  });

  test('generation is deterministic', () => {
    const a = generate(SCHEMA_DIR);
    const b = generate(SCHEMA_DIR);
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, v] of a) expect(b.get(k) === v, k).toBe(true);
  });

  test('no generated module is one giant file', () => {
    for (const [name, text] of generate(SCHEMA_DIR)) expect(text.length, name).toBeLessThan(120_000);
  });

  test('the API table holds every request a client-facing broker serves, and nothing else', () => {
    const schemas = [...loadSchemas(SCHEMA_DIR).values()];
    const brokerKeys = schemas.filter((m) => m.type === 'request' && m.listeners?.includes('broker')).map((m) => m.apiKey!);
    expect(M.API_LIST.map((a) => a.apiKey)).toEqual(brokerKeys.sort((a, b) => a - b));
  });
});
