import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { compressBatch } from '../../src/format/compression.js';
import { openLog } from '../../src/index.js';
import type { Log } from '../../src/storage/log.js';
import { closeDefaultBatchPool } from '../../src/workers/pool.js';
import { tmpDir } from '../helpers/tmp.js';
import { allRecords } from './cleaner-helpers.js';

afterAll(() => closeDefaultBatchPool());

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
const DELETE_RETENTION_MS = 1000;

// The largest generated batch (12 records of up to 120-byte values, uncompressed) is about 1.7 KB;
// a segment must hold it, or the append is refused with RecordTooLargeError as Kafka does.
const MIN_SEGMENT_BYTES = 2048;

type Op =
  | { kind: 'append'; codec: number; records: Array<{ key: number; tombstone: boolean; size: number }> }
  | { kind: 'roll' }
  | { kind: 'compact'; advance: number; inline: boolean }
  | { kind: 'reopen' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ kind: fc.constant('append' as const), codec: fc.integer({ min: 0, max: 4 }), records: fc.array(fc.record({ key: fc.integer({ min: 0, max: 11 }), tombstone: fc.integer({ min: 0, max: 5 }).map((n) => n === 0), size: fc.integer({ min: 1, max: 120 }) }), { minLength: 1, maxLength: 12 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'roll' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('compact' as const), advance: fc.integer({ min: 0, max: 2 * DELETE_RETENTION_MS }), inline: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

interface Original {
  offset: number;
  key: string;
  value: string | null;
  timestamp: number;
  /** Model time of the append (tombstones live at least delete.retention.ms after it). */
  appendedAt: number;
}

describe('log compaction, property', () => {
  it('keeps the latest value of every key (or its tombstone within delete.retention.ms), strictly increasing offsets, and a subsequence of the original log', { timeout: 180_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 50 }), fc.integer({ min: MIN_SEGMENT_BYTES, max: 4096 }), async (ops, segmentBytes) => {
        const dir = tmpDir();
        const config = { segmentBytes, indexIntervalBytes: 128, cleanupPolicy: 'compact' as const, deleteRetentionMs: DELETE_RETENTION_MS };
        let log: Log = await openLog(dir, config);
        const original: Original[] = [];
        let now = 1_000_000;
        try {
          const check = (cleanedTo: number | null) => {
            const records = allRecords(log);
            const byOffset = new Map(original.map((o) => [o.offset, o]));
            const latest = new Map<string, Original>();
            for (const o of original) latest.set(o.key, o);
            const present = new Map<string, number>();
            const belowCleaned = new Set<string>();
            for (let i = 0; i < records.length; i++) {
              const r = records[i]!;
              if (i > 0) expect(r.offset).toBeGreaterThan(records[i - 1]!.offset);
              const o = byOffset.get(r.offset);
              expect(o, `offset ${r.offset} is not an original record`).toBeDefined();
              expect([r.key!.toString(), r.value === null ? null : r.value.toString(), r.timestamp]).toEqual([o!.key, o!.value, o!.timestamp]);
              present.set(o!.key, r.offset);
              if (cleanedTo !== null && r.offset < cleanedTo) {
                expect(belowCleaned.has(o!.key), `key ${o!.key} twice below ${cleanedTo}`).toBe(false);
                belowCleaned.add(o!.key);
              }
            }
            for (const [key, last] of latest) {
              const mustStay = last.value !== null || now < last.appendedAt + DELETE_RETENTION_MS;
              if (mustStay) expect(present.get(key), `latest of ${key}`).toBe(last.offset);
              // A key may vanish only with its tombstone: never an older value in its place.
              else if (present.has(key)) expect(present.get(key)).toBe(last.offset);
            }
            // The active segment is as appended.
            const activeBase = log.segmentBaseOffsets().at(-1)!;
            expect(records.filter((r) => r.offset >= activeBase).map((r) => r.offset)).toEqual(original.filter((o) => o.offset >= activeBase).map((o) => o.offset));
          };
          for (const o of ops) {
            if (o.kind === 'append') {
              const base = log.endOffset;
              const records = o.records.map((r, i) => ({ key: `k${r.key}`, value: r.tombstone ? null : `v${base + i}-${'x'.repeat(r.size)}`, timestamp: now - 500 + ((base + i) % 997) }));
              if (o.codec === 0) await log.append(records);
              else await log.appendBatch(compressBatch(records, CODECS[o.codec]!));
              records.forEach((r, i) => original.push({ offset: base + i, key: r.key, value: r.value, timestamp: r.timestamp, appendedAt: now }));
            } else if (o.kind === 'roll') {
              log.roll();
            } else if (o.kind === 'compact') {
              now += o.advance;
              const r = await log.compact({ now, inline: o.inline });
              expect(r.aborted).toBe(false);
              check(r.cleanedTo);
            } else {
              await log.close();
              log = await openLog(dir, config);
              check(null);
            }
          }
          now += 2 * DELETE_RETENTION_MS;
          log.roll();
          await log.compact({ now });
          now += DELETE_RETENTION_MS;
          await log.compact({ now });
          check(log.endOffset);
          // Everything is cleaned and every tombstone's horizon has passed: only live values remain.
          const live = new Map<string, Original>();
          for (const o of original) live.set(o.key, o);
          expect(allRecords(log).map((r) => r.offset)).toEqual([...live.values()].filter((o) => o.value !== null).map((o) => o.offset).sort((a, b) => a - b));
        } finally {
          await log.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
