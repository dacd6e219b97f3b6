/** Start the strand broker fixture in a fresh process (with --cpu-prof when STRAND_BENCH_CPU_PROF names a directory). */
import { type Server, startNodeFixture } from './procs.js';

export function startStrand(dataDir: string, config: Record<string, string> = {}): Promise<Server> {
  const prof = process.env.STRAND_BENCH_CPU_PROF;
  const nodeArgs = prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
  return startNodeFixture('./strand-broker.ts', [dataDir, ...Object.entries(config).map(([k, v]) => `${k}=${v}`)], { STRAND_LOG_LEVEL: process.env.STRAND_LOG_LEVEL ?? 'warn' }, nodeArgs);
}
