/**
 * The progress bar of `strand perf` (cli-progress, on stderr): records done, the rate over the
 * last second, and the time left. On a terminal it redraws in place; elsewhere (CI logs, pipes)
 * it prints a line every few seconds.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  start(total: number): void;
  update(done: number): void;
  stop(): void;
}

const NONE: Progress = { start() {}, update() {}, stop() {} };

function rate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

export function progressBar(label: string, enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled) return NONE;
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} records | {rate} records/s | ETA {eta_formatted}`,
    stream,
    fps: 5,
    barsize: 30,
    hideCursor: null,
    noTTYOutput: true,
    notTTYSchedule: 5000,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  let window: Array<[number, number]> = [];
  let started = false;
  return {
    start(total) {
      bar.start(Math.max(total, 1), 0, { rate: '0' });
      started = true;
    },
    update(done) {
      if (!started) return;
      const t = performance.now();
      window.push([t, done]);
      while (window.length > 2 && t - window[0]![0] > 1000) window.shift();
      const [t0, d0] = window[0]!;
      bar.update(done, { rate: t > t0 ? rate(((done - d0) * 1000) / (t - t0)) : '0' });
    },
    stop() {
      if (!started) return;
      started = false;
      window = [];
      bar.stop();
    },
  };
}
