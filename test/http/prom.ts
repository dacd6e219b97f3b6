/** /metrics of a running broker, read by a real Prometheus text parser (parse-prometheus-text-format). */
// @ts-expect-error the package ships no types
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

interface Family {
  name: string;
  type: string;
  metrics: Array<{ labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }>;
}

export interface Scrape {
  families: Map<string, Family>;
  /** The value of one sample of `name` whose labels include `labels`; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /**
   * A histogram's `_count` or `_sum` sample by its labels, read from the text (the parser keeps
   * the labels of unlabelled histograms only).
   */
  sample(name: string, labels: Record<string, string>): number | undefined;
  text: string;
}

export async function scrape(base: string): Promise<Scrape> {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  if (!(res.headers.get('content-type') ?? '').startsWith('text/plain; version=0.0.4')) throw new Error(`/metrics content type ${res.headers.get('content-type')}`);
  const text = await res.text();
  const families = new Map<string, Family>((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
  return {
    families,
    text,
    sample(name, labels) {
      const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\} (\S+)$/.exec(line);
        if (m !== null && m[1] === name && want.every((w) => m[2]!.split(',').includes(w))) return Number(m[3]);
      }
      return undefined;
    },
    value(name, labels = {}) {
      const m = families.get(name)?.metrics.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
      return m?.value === undefined ? undefined : Number(m.value);
    },
  };
}
