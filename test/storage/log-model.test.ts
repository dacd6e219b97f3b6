import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLog, type Log } from '../../src/index.js';
import { tmpDir } from '../helpers/tmp.js';

type Op =
  | { kind: 'append'; values: string[] }
  | { kind: 'read'; at: number; maxBytes: number }
  | { kind: 'roll' }
  | { kind: 'truncate'; at: number }
  | { kind: 'advance'; at: number }
  | { kind: 'reopen'; clean: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.string({ maxLength: 40 }), { minLength: 1, maxLength: 8 }).map((values) => ({ kind: 'append' as const, values })) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), maxBytes: fc.integer({ min: 1, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'roll' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const), clean: fc.boolean() }) },
);

const config = { segmentBytes: 1024, indexIntervalBytes: 64 };

describe('Log against an in-memory model', () => {
  it('agrees on offsets and contents under random appends, reads, rolls, truncations and reopenings', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
      const dir = tmpDir();
      let log: Log = await openLog(dir, config);
      // model: value per offset, plus the start offset and batch boundaries (truncation removes whole batches)
      const model: string[] = [];
      const batchStarts: number[] = [];
      let start = 0;
      try {
        for (const o of ops) {
          switch (o.kind) {
            case 'append': {
              const r = await log.append(o.values.map((value) => ({ value })));
              expect(r.baseOffset).toBe(model.length);
              batchStarts.push(model.length);
              model.push(...o.values);
              expect(r.lastOffset).toBe(model.length - 1);
              break;
            }
            case 'read': {
              const at = start + Math.floor(o.at * (model.length - start));
              const { records, nextOffset } = await log.read(at, { maxBytes: o.maxBytes });
              if (at === model.length) {
                expect(records).toEqual([]);
                break;
              }
              expect(records.length).toBeGreaterThan(0);
              records.forEach((r, i) => {
                expect(r.offset).toBe(at + i);
                expect(r.value!.toString()).toBe(model[at + i]);
              });
              expect(nextOffset).toBe(at + records.length);
              break;
            }
            case 'roll':
              log.roll();
              break;
            case 'truncate': {
              const at = start + Math.floor(o.at * (model.length - start));
              log.truncateTo(at);
              if (at <= start) {
                // At or below the start: the log restarts empty at `at`.
                model.length = at;
                start = at;
              } else if (at < model.length) {
                // The batch holding `at` is removed whole; never below the start offset.
                const cut = Math.max(...batchStarts.filter((b) => b <= at));
                model.length = Math.max(cut, start);
              }
              while (batchStarts.length > 0 && batchStarts.at(-1)! >= model.length) batchStarts.pop();
              expect(log.endOffset).toBe(model.length);
              expect(log.startOffset).toBe(start);
              break;
            }
            case 'advance': {
              const at = start + Math.floor(o.at * (model.length - start));
              log.advanceStartOffset(at);
              start = Math.max(start, at);
              expect(log.startOffset).toBe(start);
              break;
            }
            case 'reopen':
              if (o.clean) await log.close();
              else {
                await log.sync();
                await log.close();
                const { rmSync } = await import('node:fs');
                rmSync(`${dir}/.kafka_cleanshutdown`);
                rmSync(`${dir}/recovery-point-offset-checkpoint`);
              }
              log = await openLog(dir, config);
              expect(log.endOffset).toBe(model.length);
              expect(log.startOffset).toBe(start);
              break;
          }
        }
      } finally {
        await log.close();
      }
    }), { numRuns: 60 });
  });
});
