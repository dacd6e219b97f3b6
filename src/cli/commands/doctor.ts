/**
 * `strand doctor`: checks the machine and the settings a broker is about to run with (the same
 * sources as `strand broker`: --config, STRAND_* variables, --data-dir, --listen, --override):
 * the data directory (writable, free space, file system, fsync latency), the listeners (can they
 * be bound), the open-files limit and the kernel settings (vm.max_map_count against the segments
 * there are, vm.swappiness, dirty page ratios). One line per check, `ok`, `warn` or `FAIL`, with
 * what to change under each warn and FAIL; exit 1 when something would hurt (a FAIL).
 */
import type { Command } from 'commander';
import { collect } from '../args.js';
import { writeOut } from '../session.js';
import { checkDataDir, checkKernel, checkListeners, checkOpenFiles, countSegments, type Finding, openFilesLimit } from './doctor-checks.js';

interface DoctorOptions {
  config?: string;
  dataDir?: string;
  listen?: string;
  override?: string[];
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check the data directory, listeners, open-files limit and kernel settings for a broker; exit 1 if something would hurt')
    .option('-c, --config <file>', 'server.properties-style file the broker will use')
    .option('-d, --data-dir <dir>', 'data directory (log.dirs)')
    .option('-l, --listen <host:port>', 'address the broker will listen on (listeners)')
    .option('-o, --override <key=value>', 'a broker setting, repeatable, as for strand broker', collect)
    .action(async (options: DoctorOptions) => {
      const findings = await diagnose(options);
      await writeOut(render(findings));
      if (findings.some((f) => f.level === 'fail')) process.exitCode = 1;
    });
}

export async function diagnose(options: DoctorOptions): Promise<Finding[]> {
  const { BrokerConfig, configFromEnv, parseOverrides } = await import('../../broker/config.js');
  const flags = new Map<string, string>();
  if (options.dataDir !== undefined) flags.set('log.dirs', options.dataDir);
  if (options.listen !== undefined) flags.set('listeners', `PLAINTEXT://${options.listen}`);
  const later = [configFromEnv(), flags, parseOverrides(options.override ?? [])];
  const config = options.config !== undefined ? BrokerConfig.fromFile(options.config, ...later) : new BrokerConfig(...later);
  const segments = countSegments(config.dataDir);
  return [
    ...checkDataDir(config.dataDir, config.int('log.segment.bytes')),
    ...(await checkListeners(config.listeners)),
    checkOpenFiles(segments, openFilesLimit()),
    ...checkKernel(segments),
  ];
}

export function render(findings: readonly Finding[]): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${f.level === 'fail' ? 'FAIL' : f.level.padEnd(4)}  ${f.check}: ${f.detail}`);
    if (f.fix !== undefined && f.level !== 'ok') lines.push(`      fix: ${f.fix}`);
  }
  const fails = findings.filter((f) => f.level === 'fail').length;
  const warns = findings.filter((f) => f.level === 'warn').length;
  lines.push(fails > 0 ? `${fails} problem${fails === 1 ? '' : 's'} would hurt the broker, ${warns} warning${warns === 1 ? '' : 's'}` : `no problems, ${warns} warning${warns === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}
