/**
 * Reading a broker's /metrics for `strand top`: the Prometheus text format parsed into samples
 * (name, labels, value), and two scrapes turned into rates.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  at: number;
  samples: Sample[];
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const v = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    out.push({ name: m[1]!, labels, value: v });
  }
  return out;
}

/**
 * `http(s)://user:password@host:port` sends HTTP Basic credentials (an admin listener with
 * http.authentication.method=BASIC); they are never printed.
 */
export async function scrape(url: string, timeoutMs = 5000): Promise<Scrape> {
  const parsed = new URL(url);
  const headers: Record<string, string> = {};
  if (parsed.username !== '') headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
  parsed.username = '';
  parsed.password = '';
  const target = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}/metrics`;
  let res: Response;
  try {
    res = await fetch(target, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new Error(`cannot read ${target}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message} (is the broker's admin listener on? http.listeners=http://127.0.0.1:8080)`);
  }
  if (res.status !== 200) throw new Error(`${target} answered HTTP ${res.status}`);
  return { at: Date.now(), samples: parseMetrics(await res.text()) };
}

/** Sum of the samples of `name` whose labels include `match`. */
export function total(s: Scrape, name: string, match: Record<string, string> = {}): number {
  let n = 0;
  for (const x of s.samples) if (x.name === name && Object.entries(match).every(([k, v]) => x.labels[k] === v)) n += x.value;
  return n;
}

/** Values of `name` by the value of label `by`. */
export function byLabel(s: Scrape, name: string, by: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of s.samples) if (x.name === name && x.labels[by] !== undefined) out.set(x.labels[by]!, (out.get(x.labels[by]!) ?? 0) + x.value);
  return out;
}
