/**
 * Where a profiled broker's CPU went: reads a V8 .cpuprofile (the broker started with --cpu-prof,
 * e.g. `STRAND_BENCH_CPU_PROF=<dir> tsx bench/broker.ts produce-1`) and prints self time by
 * function and by stage of a produce request: socket reads, frame and header decoding, CRC, the
 * record walk (batch validation), the log append and its pwritev, the response, GC, idle.
 *
 * Only samples from the first produce request on are counted (startup, module loading and topic
 * creation are not a request's cost). Each function is also shown with its nearest caller in src/,
 * so a native leaf (writeBuffer, writev) is attributed to the code that called it.
 *
 * It also splits the busy time into JavaScript (JS code and the GC of its heap) and native work
 * that V8 sees only as the JS function calling it: the addon (every function of src/io/native.ts
 * is a thin wrapper around an addon call: the copy into the segment, CRC-32C, the record walk) and
 * Node's I/O bindings (writeBuffer, writev: the write(2) itself). With the number of requests the
 * run made, it prints the JavaScript time per request, the figure issue 14 asks to halve.
 *
 * Usage: tsx bench/profile-summary.ts <file.cpuprofile> [top] [requests]
 */
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

/** Stage of a frame, by its function and file (first match wins; checked leaf first, then callers). */
const STAGES: Array<[stage: string, test: RegExp]> = [
  ['idle', /^\(idle\) $/],
  ['GC', /^\(garbage collector\) $/],
  ['CRC-32C', /crc32c|Crc32c/i],
  ['socket reads', /socket-reads|frame-reader|onStreamRead|readInto|TCPWrap|onread/i],
  ['pwritev / log append', /writev|pwritev|segment\.|segment-file|src\/storage\/|appendBatch|flusher/i],
  ['record walk / batch validation', /src\/format\//],
  ['produce handler', /handlers\/produce|produce-handler/i],
  ['request decoding', /src\/protocol\/(messages|frame|codec|reader)|decodeRequest|readRequestFrame/i],
  ['response encoding and socket writes', /encodeResponse|writeGeneric|writev|cork|uncork|Writable|stream_base|handleWriteReq|afterWrite/i],
  ['JS dispatch (connection, dispatch, promises)', /src\/broker\/|processTicksAndRejections|runMicrotasks|promise/i],
];

function stageOf(path: Node[]): string {
  for (const n of path) {
    const key = `${n.callFrame.functionName} ${n.callFrame.url}`;
    if (n.callFrame.functionName === '(program)') return 'native / V8 (program)';
    for (const [stage, test] of STAGES) if (test.test(key)) return stage;
  }
  return 'other';
}

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 30);
const requests = Number(process.argv[4] ?? 0);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const pathOf = (id: number) => {
  const path: Node[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) path.push(byId.get(at)!);
  return path;
};
const first = p.samples.findIndex((id) => pathOf(id).some((n) => /handlers\/produce/.test(n.callFrame.url)));
const self = new Map<number, number>();
p.samples.forEach((id, i) => {
  if (i >= first) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
const stages = new Map<string, number>();
/** Native work V8 attributes to the JS frame that called it, by the leaf's function and file. */
const SYSCALL = /^(writeBuffer|writev|writeUtf8String|writeLatin1String|writeAsciiString|writeUcs2String|fsync|fdatasync|read|readStart|close|open|pwritev)$/;
const kinds = new Map<string, number>();
const kindOf = (n: Node): string => {
  const { functionName: fn, url } = n.callFrame;
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)') return 'V8/native, not attributed ((program))';
  if (/src\/io\/native\.ts$/.test(url)) return 'native: addon (segment copy, CRC-32C, record walk)';
  if (url === '' && SYSCALL.test(fn)) return 'native: system calls from JS (write, writev)';
  return 'JavaScript (JS code, builtins, GC)';
};
const fns = new Map<string, number>();
for (const [id, us] of self) {
  const path = pathOf(id);
  const stage = stageOf(path);
  stages.set(stage, (stages.get(stage) ?? 0) + us);
  const n = byId.get(id)!;
  const kind = kindOf(n);
  kinds.set(kind, (kinds.get(kind) ?? 0) + us);
  const short = (x: Node) => `${x.callFrame.functionName || '(anonymous)'} ${x.callFrame.url.replace(/^.*\/(src|node_modules|bench)\//, '$1/')}`;
  const caller = path.slice(1).find((x) => /\/src\//.test(x.callFrame.url));
  const name = `${short(n)}${caller !== undefined && !/\/src\//.test(n.callFrame.url) ? `  ← ${short(caller)}` : ''}`;
  fns.set(name, (fns.get(name) ?? 0) + us);
}
const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
const busy = total - (stages.get('idle') ?? 0);
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s busy\n\nby stage (share of all samples, then of busy time):`);
for (const [s, us] of [...stages].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(us)}  ${s === 'idle' ? '       ' : `${((us / busy) * 100).toFixed(1).padStart(5)} %`}  ${s}`);
console.log('\nby kind (share of busy time):');
for (const [k, us] of [...kinds].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1])) {
  const per = requests > 0 ? `  ${(us / requests).toFixed(1).padStart(6)} µs per request` : '';
  console.log(`  ${((us / busy) * 100).toFixed(1).padStart(5)} %${per}  ${k}`);
}
if (requests > 0) console.log(`  busy ${(busy / requests).toFixed(1)} µs per request (${requests} requests)`);
console.log(`\ntop ${top} functions by self time:`);
for (const [f, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${f}`);
