/**
 * The HTML report of a benchmark run: one self-contained page (inline CSS and SVG, no external
 * assets) with the summary table, bars of records/s for the end-to-end rows, latency percentile
 * curves (HdrHistogram style: the x axis spreads the tail, 90%, 99%, 99.9%, ...), and the
 * configuration of every server measured.
 *
 * bench/run.ts writes it beside the JSON; `tsx bench/report.ts bench/results/<date>.json` redraws one,
 * and with `--readme` also puts that run's table into README.md (between the bench-results markers).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BenchRow, fmt, formatTable, spreadText } from './lib.js';

interface Results {
  date: string;
  scale: number;
  command?: string;
  node?: string;
  cpus?: number;
  cpu?: string;
  memoryGiB?: number;
  backend?: string;
  peerSetup?: string;
  rows: BenchRow[];
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f', '#7c2d12', '#334155'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function barColor(r: BenchRow): string {
  if (r.group === 'baseline') return '#94a3b8';
  if (r.group === 'peers') return '#f59e0b';
  if (r.group === 'headline') return r.peerOf === undefined ? '#1d4ed8' : '#f59e0b';
  return '#2563eb';
}

/** Horizontal bars of records/s. */
function bars(rows: BenchRow[]): string {
  const list = rows.filter((r) => r.unit.trim() === 'rec/s' && r.value > 0 && (r.group === 'broker' || r.group === 'baseline' || r.group === 'peers' || r.group === 'headline'));
  if (list.length === 0) return '<p>No end-to-end rows in this run.</p>';
  const max = Math.max(...list.map((r) => r.value));
  const label = 470;
  const width = 960;
  const plot = width - label - 90;
  const h = 26;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${list.length * h + 30}" role="img" aria-label="records per second">`];
  list.forEach((r, i) => {
    const y = i * h + 5;
    const w = Math.max(1, (r.value / max) * plot);
    out.push(`<text x="${label - 8}" y="${y + 16}" text-anchor="end" font-size="12">${esc(r.name)}</text>`);
    out.push(`<rect x="${label}" y="${y + 3}" width="${w.toFixed(1)}" height="${h - 8}" fill="${barColor(r)}"><title>${esc(`${r.name}: ${fmt(r.value)}${r.unit}`)}</title></rect>`);
    out.push(`<text x="${label + w + 6}" y="${y + 16}" font-size="12">${esc(fmt(r.value))}</text>`);
  });
  const y = list.length * h + 12;
  out.push(`<text x="${label}" y="${y + 12}" font-size="11" fill="#475569">records/s — blue: strand, grey: baselines, amber: peers</text>`);
  out.push('</svg>');
  return out.join('\n');
}

/** Percentile curves: x = log10(1 / (1 - p)), so 90, 99, 99.9 ... are evenly spaced; y = ms (log). */
function curves(rows: BenchRow[]): string {
  const list = rows.filter((r) => (r.latencyCurve?.length ?? 0) > 1);
  if (list.length === 0) return '<p>No latency distributions in this run.</p>';
  const width = 900;
  const height = 380;
  const left = 60;
  const right = 45;
  const top = 15;
  const bottom = 45;
  const xMax = 5; // 99.999%
  const xOf = (p: number) => Math.min(xMax, p >= 100 ? xMax : Math.log10(1 / (1 - p / 100)));
  const all = list.flatMap((r) => r.latencyCurve!.map(([, ms]) => Math.max(ms, 0.001)));
  const yMinExp = Math.floor(Math.log10(Math.min(...all)));
  const yMaxExp = Math.ceil(Math.log10(Math.max(...all)));
  const span = Math.max(1, yMaxExp - yMinExp);
  const px = (x: number) => left + (x / xMax) * (width - left - right);
  const py = (ms: number) => top + (1 - (Math.log10(Math.max(ms, 0.001)) - yMinExp) / span) * (height - top - bottom);
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 14 + list.length * 18}" role="img" aria-label="latency by percentile">`];
  for (let e = yMinExp; e <= yMaxExp; e++) {
    const y = py(10 ** e);
    out.push(`<line x1="${left}" x2="${width - right}" y1="${y}" y2="${y}" stroke="#e2e8f0"/><text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)} ms</text>`);
  }
  for (const [p, name] of [[0, '0%'], [90, '90%'], [99, '99%'], [99.9, '99.9%'], [99.99, '99.99%'], [99.999, '99.999%']] as const) {
    const x = px(xOf(p));
    out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${height - bottom}" stroke="#e2e8f0"/><text x="${x}" y="${height - bottom + 16}" text-anchor="middle" font-size="11">${name}</text>`);
  }
  out.push(`<text x="${(left + width - right) / 2}" y="${height - bottom + 34}" text-anchor="middle" font-size="11" fill="#475569">percentile</text>`);
  list.forEach((r, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = r.latencyCurve!.map(([p, ms]) => `${px(xOf(p)).toFixed(1)},${py(ms).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"><title>${esc(r.name)}</title></polyline>`);
    const y = height + 14 + i * 18;
    out.push(`<rect x="${left}" y="${y - 9}" width="14" height="4" fill="${color}"/><text x="${left + 20}" y="${y - 4}" font-size="11">${esc(r.name)}${r.latency ? esc(` — p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms, max ${r.latency.maxMs} ms`) : ''}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** A latency figure, or nothing where the tool does not report it (redis-benchmark has no p99.9). */
const ms = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(2)} ms` : '');

function table(rows: BenchRow[]): string {
  const head = ['benchmark', 'median', 'min–max', 'MB/s', 'p50', 'p99', 'p99.9', 'ratio', 'vs', 'CPU-s/M rec', 'CPU-s/GB', 'peak RSS', 'target', 'load'];
  const cells = (r: BenchRow) => {
    const skipped = r.note !== undefined && !(r.value > 0);
    return [
      r.name, skipped ? 'skipped' : `${fmt(r.value)}${r.unit}`, spreadText(r), r.mbPerSec === undefined ? '' : r.mbPerSec.toFixed(0),
      ms(r.latency?.p50Ms), ms(r.latency?.p99Ms), ms(r.latency?.p999Ms),
      r.ratio === undefined || !Number.isFinite(r.ratio) ? '' : r.ratio.toFixed(2), skipped ? r.note! : (r.baseline ?? '') + (r.note && !skipped ? ` (${r.note})` : ''),
      r.cpuPerMRec === undefined ? '' : r.cpuPerMRec.toFixed(2), r.cpuPerGB === undefined ? '' : r.cpuPerGB.toFixed(1),
      Number.isFinite(r.peakRssMiB) && r.peakRssMiB > 0 ? `${r.peakRssMiB.toFixed(0)} MiB` : '', r.target ?? '', r.loadAvg === undefined ? '' : r.loadAvg.toFixed(1),
    ];
  };
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr class="${esc(r.group ?? 'micro')}">${cells(r).map((c, i) => `<td${i > 0 && i < 8 ? ' class="num"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`;
}

/** Latency against rate: one line per rate asked, publish and end-to-end percentiles side by side. */
export function curveTable(rows: readonly BenchRow[]): string {
  const list = rows.filter((r) => r.group === 'curve' && r.rateAsked !== undefined);
  if (list.length === 0) return '';
  const m = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '' : v.toFixed(2));
  const lines = [
    '| rate asked | rate done (median, min–max) | publish p50 / p99 / p99.9 ms | end-to-end p50 / p99 / p99.9 ms | broker CPU-s/M rec |',
    '|---|---|---|---|---|',
    ...list.map((r) => `| ${fmt(r.rateAsked!)} rec/s | ${fmt(r.value)} rec/s${spreadText(r) ? ` (${spreadText(r)})` : ''} | ${m(r.latency?.p50Ms)} / ${m(r.latency?.p99Ms)} / ${m(r.latency?.p999Ms)} | ${m(r.e2eLatency?.p50Ms)} / ${m(r.e2eLatency?.p99Ms)} / ${m(r.e2eLatency?.p999Ms)} | ${m(r.cpuPerMRec)} |`),
  ];
  return lines.join('\n');
}

export function renderReport(res: Results): string {
  const configs = res.rows.filter((r) => r.config !== undefined);
  const loads = res.rows.map((r) => r.loadAvg).filter((l): l is number => l !== undefined);
  const load = loads.length > 0 ? ` The machine's 1-minute load average ranged from ${Math.min(...loads)} to ${Math.max(...loads)} over this run (${res.cpus ?? '?'} cores): above the core count, other work competed for the CPUs and the figures, tail latencies most of all, are lower bounds of what strand does alone.` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>strand benchmarks ${esc(res.date)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#0f172a;padding:0 16px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;white-space:nowrap}tr.baseline td{color:#475569}tr.peers td{background:#fffbeb}
pre{background:#f1f5f9;padding:8px;overflow-x:auto;font-size:12px}h2{margin-top:32px}.meta{color:#475569}
</style></head><body>
<h1>strand benchmarks</h1>
<p class="meta">${esc(res.date)} · ${esc(res.command ?? 'npm run bench')} · scale ${res.scale} · Node ${esc(res.node ?? '?')} · ${res.cpus ?? '?'} × ${esc(res.cpu ?? '?')}${res.memoryGiB ? ` · ${res.memoryGiB} GiB` : ''} · storage backend ${esc(res.backend ?? 'native')}</p>
<p class="meta">Each benchmark runs in a fresh process; the servers (strand, the TCP sink, Redis, NATS) run alone in their own process, on loopback, on the same machine as the load generator, so both share its cores. Ratios compare figures of this one run. "peak RSS" is the server's (VmHWM) for server rows, the measuring process's otherwise.${load}</p>
<h2>Summary</h2>
${table(res.rows)}
<h2>Latency against rate</h2>
${curveTable(res.rows) ? `<pre>${esc(curveTable(res.rows))}</pre><p class="meta">acks=1, flush.ms=1000, a consumer long-polling throughout, after a 2 s warm-up at the same rate on the same broker (as OMB's warmupDurationMinutes); latencies from each record's due time (no coordinated omission). A rate the machine cannot reach shows as "rate done" below "rate asked", and its latencies as queueing.</p>` : '<p>No latency-against-rate rows in this run.</p>'}
<h2>Records per second</h2>
${bars(res.rows)}
<h2>Latency by percentile</h2>
${curves(res.rows)}
<h2>Server configurations</h2>
${configs.length === 0 ? '<p>No peer servers in this run.</p>' : configs.map((r) => `<h3>${esc(r.name)}</h3><pre>${esc(r.config!)}</pre>`).join('\n')}
${res.peerSetup ? `<h3>Peer setup</h3><pre>${esc(res.peerSetup)}</pre>` : ''}
<h2>As text</h2>
<pre>${esc(formatTable(res.rows))}</pre>
</body></html>
`;
}

/** Write `<results>.html` beside a results JSON; returns its path. */
export function writeReport(jsonFile: string): string {
  const res = JSON.parse(readFileSync(jsonFile, 'utf8')) as Results;
  const out = jsonFile.replace(/\.json$/, '') + '.html';
  writeFileSync(out, renderReport(res));
  return out;
}

/** The README block of a run: how it was made, the table, and where the report is. */
export function readmeBlock(res: Results, jsonFile: string): string {
  const rel = jsonFile.slice(jsonFile.lastIndexOf('bench/results/'));
  const picked = res.rows.filter((r) => r.group !== undefined || r.name.startsWith('crc32c native') || /^(append|appendBatch|sequential|baseline: fs)/.test(r.name));
  // The headline (real clients on every side) leads; the broker's own ceiling and the rest follow.
  const rows = [...picked.filter((r) => r.group === 'headline'), ...picked.filter((r) => r.group !== 'headline')];
  const loads = res.rows.map((r) => r.loadAvg).filter((l): l is number => l !== undefined);
  const load = loads.length === 0 ? '' : ` The machine's 1-minute load average ranged from ${Math.min(...loads)} to ${Math.max(...loads)} while the rows ran (${res.cpus ?? '?'} cores shared with other work): the figures are lower bounds of what each system does alone.`;
  return [
    `Latest run (${res.date.slice(0, 10)}, scale ${res.scale}: ${Math.round(6_000_000 * res.scale).toLocaleString('en')} records per end-to-end run, \`${res.command ?? 'npm run bench'}\`, ${res.cpus ?? '?'} × ${res.cpu ?? '?'}, Node ${res.node ?? '?'}; ` +
      `a 2-core VM whose figures vary by ±30 % from run to run, mostly with how fast the host backs fresh page-cache memory (0.3 to 3 GB/s measured), so compare ratios within one run). ` +
      `Each row is the median of its runs (each against a fresh server) with min and max; "ratio" is median over median: the row's figure over the row named in "vs" (for Redis and NATS: strand's librdkafka figure over theirs). ` +
      `"server CPU-s" is the server process's own CPU time (/proc) per million records and per GB of payload.${load} ` +
      `Full table, latency curves and server configurations: \`${rel.replace(/\.json$/, '.html')}\`.`,
    '',
    formatTable(rows.filter((r) => r.group !== 'curve')),
    ...(curveTable(rows) ? ['', 'Latency against rate (acks=1, flush.ms=1000, a consumer long-polling throughout, after a 2 s warm-up at the same rate; latency from each record\'s due time):', '', curveTable(rows)] : []),
  ].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (file === undefined) {
    console.error('usage: tsx bench/report.ts bench/results/<date>.json [--readme]');
    process.exit(2);
  }
  console.log(writeReport(file));
  if (process.argv.includes('--readme')) {
    const readme = new URL('../README.md', import.meta.url);
    const text = readFileSync(readme, 'utf8');
    const start = text.indexOf('<!-- bench-results -->');
    const end = text.indexOf('<!-- /bench-results -->');
    if (start < 0 || end < start) throw new Error('README.md has no <!-- bench-results --> block');
    const block = readmeBlock(JSON.parse(readFileSync(file, 'utf8')) as Results, file);
    writeFileSync(readme, `${text.slice(0, start)}<!-- bench-results -->\n${block}\n${text.slice(end)}`);
    console.log('README.md updated');
  }
}
