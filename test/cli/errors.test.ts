import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

describe('strand: bad arguments and unreachable brokers', () => {
  it('says a broker cannot be reached in one line, exit code 1', async () => {
    for (const args of [['topics', 'list'], ['consume', 'x'], ['produce', 'x']]) {
      const r = await runCli([...args, '--bootstrap', '127.0.0.1:1'], { input: 'a\n' });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('error: cannot connect to 127.0.0.1:1: ECONNREFUSED — is a broker running? start one with `strand broker`\n');
    }
  });

  it('takes the bootstrap address from STRAND_BOOTSTRAP', async () => {
    const r = await runCli(['topics', 'list'], { env: { STRAND_BOOTSTRAP: '127.0.0.1:2' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to 127.0.0.1:2');
  });

  it.each([
    [['topics', 'create'], "missing required argument 'topic'"],
    [['topics', 'create', 't', '--partitions', '0'], '--partitions must be an integer >= 1.'],
    [['topics', 'create', 't', '--config', 'retention.ms'], 'expected key=value, e.g. --config retention.ms=86400000.'],
    [['topics', 'create', 't', '--config', 'a=1', '--config', 'a=2'], '--config a is given twice'],
    [['topics', 'list', '--bootstrap', 'host:port'], 'is not host:port'],
    [['topics', 'frob'], "unknown command 'frob'"],
    [['topic', 'list'], 'Did you mean topics?'],
    [['consume', 't', '--from-beginning', '--offset', '3'], "option '--from-beginning' cannot be used with option '-o, --offset <offset>'"],
    [['consume', 't', '--offset', 'soon'], '--offset must be an offset, -N (N before the end), beginning or end.'],
    [['consume', 't', '--from-time', 'yesterday'], '--from-time must be an ISO date'],
    [['consume', 't', '--format', '%x'], 'unknown field %x'],
    [['consume', 't', '--format', 'tail\\'], 'ends with a lone \\'],
    [['consume', 't', '--max-messages', '-1'], '--max-messages must be an integer >= 1.'],
    [['produce', 't', '--acks', '2'], '--acks must be all, -1, 1 or 0.'],
    [['produce', 't', '--file', '/nonexistent/input.txt'], '--file /nonexistent/input.txt does not exist'],
    [['produce'], "missing required argument 'topic'"],
    [['consume', 't', '--no-such-flag'], "unknown option '--no-such-flag'"],
    [['broker', '--listen', 'nope'], '--listen "nope" is not HOST:PORT'],
    [['broker', '--override', 'num.partitions'], 'is not key=value'],
  ])('strand %j exits 2: %s', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('--help');
  });

  // Seventeen CLI starts: two at a time (the machine's cores), with room for a loaded machine.
  it('prints help for every command with exit code 0, and the version', { timeout: 180_000 }, async () => {
    const commands = [[], ['broker'], ['topics'], ['topics', 'create'], ['topics', 'list'], ['topics', 'describe'], ['topics', 'alter'], ['topics', 'delete'], ['produce'], ['consume'], ['perf'], ['perf', 'produce'], ['perf', 'consume'], ['perf', 'e2e'], ['dump-log']];
    for (let i = 0; i < commands.length; i += 2) {
      const pair = commands.slice(i, i + 2);
      const results = await Promise.all(pair.map((args) => runCli([...args, '--help'])));
      pair.forEach((args, j) => {
        expect(results[j]!.code, args.join(' ')).toBe(0);
        expect(results[j]!.stdout, args.join(' ')).toMatch(/^Usage: strand/);
      });
    }
    const consume = await runCli(['consume', '--help']);
    expect(consume.stdout).toContain('%h  headers');
    const version = await runCli(['--version']);
    expect(version.stdout).toBe('0.1.0\n');
  });

  it('shows the command list and exits 2 when no command is given', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: strand');
    expect(r.stderr).toContain('dump-log');
  });
});
