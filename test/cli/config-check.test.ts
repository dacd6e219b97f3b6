/**
 * The settings reference and `strand config check`: docs/server.properties is what the
 * definitions render today (regenerate with `npm run gen:config-reference`), and `config check`
 * refuses a file with the very message `strand broker --config FILE` stops with.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BROKER_CONFIG } from '../../src/broker/config.js';
import { checkConfigFile } from '../../src/cli/commands/config.js';
import { renderConfigReference } from '../../src/cli/commands/config-reference.js';
import { bundleScript } from '../helpers/bundle.js';
import { tmpDir } from '../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function strand(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const main = await bundleScript(join(ROOT, 'src/cli/main.ts'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { env: { ...process.env, STRAND_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function propertiesFile(text: string): string {
  const file = join(tmpDir(), 'server.properties');
  writeFileSync(file, text);
  return file;
}

describe('docs/server.properties', () => {
  it('is what the setting definitions render (run npm run gen:config-reference after changing a setting)', () => {
    expect(readFileSync(join(ROOT, 'docs/server.properties'), 'utf8')).toBe(renderConfigReference());
  });

  it('lists every broker setting with its default', () => {
    const text = renderConfigReference();
    for (const [key, d] of Object.entries(BROKER_CONFIG)) expect(text).toContain(`\n#${key}=${d.default}\n`);
    expect(text).toContain('\n#ssl.client.auth=none\n');
    expect(text).toContain('\n#ssl.keystore.location=\n');
  });
});

describe('strand config check', () => {
  it('accepts a valid file and names the keys strand does not read', async () => {
    const file = propertiesFile('# a broker\nlisteners=PLAINTEXT://0.0.0.0:9092\nlog.dirs=/var/lib/strand\nnum.partitions=3\nlog.retention.hour=5\n');
    expect(await checkConfigFile(file)).toEqual({ unknown: ['log.retention.hour'], count: 4 });
  });

  it.each([
    ['a bad value', 'num.partitions=0\n', 'num.partitions="0" is invalid: must be at least 1 (partitions of auto-created topics)'],
    ['a line that is not key=value', 'listeners\n', '__FILE__:1: expected key=value, got "listeners"'],
    ['a TLS listener without a key', 'listeners=SSL://127.0.0.1:9093\n', 'listener SSL uses SSL but has no key: set ssl.keystore.type=PEM and ssl.keystore.location (or ssl.keystore.key and ssl.keystore.certificate.chain), or listener.name.ssl.ssl.* for this listener'],
    ['an unreadable file', null, 'cannot read config file /nonexistent/server.properties: ENOENT: no such file or directory, open \'/nonexistent/server.properties\''],
  ])('refuses %s with the broker\'s message', async (_what, text, message) => {
    const file = text === null ? '/nonexistent/server.properties' : propertiesFile(text);
    expect(await checkConfigFile(file)).toEqual({ error: message.replace('__FILE__', file), unknown: [], count: 0 });
  });

  it('exits 1 with the line the broker stops with, and 0 with ok on a good file', async () => {
    const dir = tmpDir();
    const bad = propertiesFile('num.partitions=0\n');
    const good = propertiesFile('num.partitions=3\nlog.retention.hour=5\n');
    const [check, broker, ok] = await Promise.all([strand(['config', 'check', bad]), strand(['broker', '--config', bad, '--data-dir', join(dir, 'data')]), strand(['config', 'check', good])]);
    const line = 'error: num.partitions="0" is invalid: must be at least 1 (partitions of auto-created topics)';
    expect(check).toEqual({ code: 1, stdout: '', stderr: `${line}\n` });
    expect(broker.code).toBe(2);
    expect(broker.stderr.split('\n')[0]).toBe(line);
    expect(ok).toEqual({ code: 0, stdout: `${good}: ok (2 settings)\n`, stderr: 'warning: log.retention.hour is not a setting strand reads (ignored)\n' });
  });
});
