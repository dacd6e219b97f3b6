import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startBroker } from '../../src/broker/index.js';
import { runCli } from '../cli/run-cli.js';
import { kcat } from '../helpers/kcat-cli.js';
import { createTopics } from '../helpers/kafkajs.js';
import { PLAIN_JAAS } from '../security/sasl-helpers.js';

/**
 * kcat (librdkafka) as alice on a SASL listener, `strand acls` as the super user on a local
 * PLAINTEXT listener (User:ANONYMOUS), and a restart that keeps the ACLs.
 */
describe('ACLs with kcat and strand acls, kept across a restart', () => {
  let dataDir: string;
  let broker: RunningBroker;
  const start = () => startBroker({
    dataDir,
    logLevel: 'silent',
    config: {
      listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
      'sasl.enabled.mechanisms': 'PLAIN',
      'sasl.jaas.config': PLAIN_JAAS,
      'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
      'super.users': 'User:ANONYMOUS;User:admin',
      'auto.create.topics.enable': 'false',
    },
  });
  const cli = async (...args: string[]) => {
    const r = await runCli(['acls', ...args, '--bootstrap', broker.listeners[0]!.bootstrap]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  const asAlice = (...args: string[]) => kcat(['-b', broker.listeners[1]!.bootstrap, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret', ...args], args.includes('-P') ? 'one\ntwo\n' : undefined);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'strand-acl-')); // outlives each test: the broker restarts inside one
    broker = await start();
    await createTopics(broker.listeners[0]!.bootstrap, [{ topic: 'events', numPartitions: 1 }]);
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('kcat is refused, then produces and consumes once strand acls grants it; the ACLs survive a restart; removing them refuses kcat again', async () => {
    const denied = await asAlice('-P', '-t', 'events');
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/Topic authorization failed/);

    expect(await cli('add', '--allow-principal', 'User:alice', '--producer', '--topic', 'events')).toBe([
      'Added ACL for resource `ResourcePattern(resourceType=TOPIC, name=events, patternType=LITERAL)`:\n\t(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)\n',
      'Added ACL for resource `ResourcePattern(resourceType=TOPIC, name=events, patternType=LITERAL)`:\n\t(principal=User:alice, host=*, operation=DESCRIBE, permissionType=ALLOW)\n',
      'Added ACL for resource `ResourcePattern(resourceType=TOPIC, name=events, patternType=LITERAL)`:\n\t(principal=User:alice, host=*, operation=CREATE, permissionType=ALLOW)\n',
    ].join(''));
    const produced = await asAlice('-P', '-t', 'events');
    expect(produced.code, produced.stderr).toBe(0);
    const unread = await asAlice('-C', '-t', 'events', '-e', '-o', 'beginning');
    expect(unread.code).not.toBe(0);
    expect(unread.stderr).toMatch(/Topic authorization failed/);
    await cli('add', '--allow-principal', 'User:alice', '--operation', 'Read', '--topic', 'ev', '--resource-pattern-type', 'prefixed');

    await broker.stop();
    broker = await start();
    expect(await cli('list', '--topic', 'events', '--resource-pattern-type', 'match')).toBe([
      'Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=ev, patternType=PREFIXED)`:\n\t(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)\n\n',
      'Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=events, patternType=LITERAL)`:\n',
      '\t(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)\n',
      '\t(principal=User:alice, host=*, operation=CREATE, permissionType=ALLOW)\n',
      '\t(principal=User:alice, host=*, operation=DESCRIBE, permissionType=ALLOW)\n\n',
    ].join(''));
    const read = await asAlice('-C', '-t', 'events', '-e', '-o', 'beginning');
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout).toBe('one\ntwo\n');

    expect(await cli('remove', '--topic', 'ev', '--resource-pattern-type', 'prefixed')).toBe(
      'Removed ACL for resource `ResourcePattern(resourceType=TOPIC, name=ev, patternType=PREFIXED)`:\n\t(principal=User:alice, host=*, operation=READ, permissionType=ALLOW)\n',
    );
    const again = await asAlice('-C', '-t', 'events', '-e', '-o', 'beginning');
    expect(again.stderr).toMatch(/Topic authorization failed/);
  });
});

