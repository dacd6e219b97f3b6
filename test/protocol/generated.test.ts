/**
 * The committed codecs in src/protocol/messages are exactly what scripts/gen-protocol.ts
 * produces from the schemas: regenerate into a temporary directory and compare every byte.
 * On failure run `npx tsx scripts/gen-protocol.ts` and commit the result.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { GENERATED_HEADER, generate, writeGenerated } from '../../scripts/gen-protocol.js';
import { SCHEMA_DIR } from './schema-model.js';

const committedDir = resolve(import.meta.dirname, '..', '..', 'src', 'protocol', 'messages');
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
