/**
 * `strand acls add|list|remove`: the broker's ACLs through CreateAcls, DescribeAcls and
 * DeleteAcls, with kafka-acls.sh's options and output (`--allow-principal`, `--operation`,
 * `--topic`, `--resource-pattern-type`, `--producer`, `--consumer`; "Current ACLs for resource
 * `ResourcePattern(...)`"). The broker needs an authorizer (`authorizer.class.name`), and the
 * connection's principal ALTER (add, remove) or DESCRIBE (list) on the cluster, or to be a super
 * user.
 */
import { isIP } from 'node:net';
import type { Command } from 'commander';
import type { KafkaClient } from '../../client/client.js';
import { KafkaResponseError } from '../../client/errors.js';
import { CreateAclsApi, DeleteAclsApi, DescribeAclsApi } from '../../protocol/messages/index.js';
import {
  type AclBinding, type AclBindingFilter, AclOperation, CLUSTER_NAME, describeBinding, operationName, parseOperation, parsePatternType, PatternType, patternTypeName, PermissionType, permissionTypeName, ResourceType, resourceTypeName,
} from '../../security/acl/index.js';
import { addClientOptions, type ClientOptions, collect, UsageError } from '../args.js';
import { withClient, writeOut } from '../session.js';

interface ResourceOptions extends ClientOptions {
  topic?: string[];
  group?: string[];
  transactionalId?: string[];
  delegationToken?: string[];
  cluster?: boolean;
  resourcePatternType?: string;
}

interface AddOptions extends ResourceOptions {
  allowPrincipal?: string[];
  denyPrincipal?: string[];
  allowHost?: string[];
  denyHost?: string[];
  operation?: string[];
  producer?: boolean;
  consumer?: boolean;
  idempotent?: boolean;
}

interface FilterOptions extends ResourceOptions {
  principal?: string[];
  host?: string[];
  operation?: string[];
  permission?: string;
}

interface Resource {
  type: number;
  name: string | null;
}

function resources(o: ResourceOptions): Resource[] {
  return [
    ...(o.topic ?? []).map((name) => ({ type: ResourceType.TOPIC, name })),
    ...(o.group ?? []).map((name) => ({ type: ResourceType.GROUP, name })),
    ...(o.transactionalId ?? []).map((name) => ({ type: ResourceType.TRANSACTIONAL_ID, name })),
    ...(o.delegationToken ?? []).map((name) => ({ type: ResourceType.DELEGATION_TOKEN, name })),
    ...(o.cluster ? [{ type: ResourceType.CLUSTER, name: CLUSTER_NAME }] : []),
  ];
}

function patternType(o: ResourceOptions, fallback: number, allowed: readonly number[]): number {
  if (o.resourcePatternType === undefined) return fallback;
  const p = parsePatternType(o.resourcePatternType);
  if (p === undefined || !allowed.includes(p)) throw new UsageError(`--resource-pattern-type ${o.resourcePatternType}: expected ${allowed.map((x) => patternTypeName(x).toLowerCase()).join(', ')}`);
  return p;
}

function operations(list: readonly string[] | undefined, fallback: number[]): number[] {
  if (list === undefined || list.length === 0) return fallback;
  return list.map((name) => {
    const op = parseOperation(name);
    if (op === undefined || op === AclOperation.UNKNOWN || op === AclOperation.ANY) throw new UsageError(`--operation ${name}: expected one of ${Object.keys(AclOperation).filter((k) => k !== 'UNKNOWN' && k !== 'ANY').join(', ')}`);
    return op;
  });
}

function principal(p: string, option: string): string {
  if (p.indexOf(':') <= 0) throw new UsageError(`${option} ${p}: a principal is <type>:<name>, e.g. User:alice`);
  return p;
}

function host(h: string, option: string): string {
  if (h !== '*' && isIP(h) === 0) throw new UsageError(`${option} ${h}: a host is * or an IP address`);
  return h;
}

/** The bindings `add` creates: each principal and host with each operation on each resource; --producer and --consumer expand as kafka-acls.sh does. */
export function bindingsToAdd(o: AddOptions): AclBinding[] {
  const pattern = patternType(o, PatternType.LITERAL, [PatternType.LITERAL, PatternType.PREFIXED]);
  const res = resources(o);
  const perRes: Array<{ r: Resource; ops: number[] }> = [];
  if (o.producer || o.consumer) {
    if (o.operation !== undefined) throw new UsageError('--operation cannot be given with --producer or --consumer');
    for (const r of res) {
      if (r.type === ResourceType.TOPIC) perRes.push({ r, ops: [...(o.producer ? [AclOperation.WRITE, AclOperation.DESCRIBE, AclOperation.CREATE] : []), ...(o.consumer ? [AclOperation.READ, AclOperation.DESCRIBE] : [])].filter((x, i, a) => a.indexOf(x) === i) });
      else if (r.type === ResourceType.GROUP && o.consumer) perRes.push({ r, ops: [AclOperation.READ] });
      else if (r.type === ResourceType.TRANSACTIONAL_ID && o.producer) perRes.push({ r, ops: [AclOperation.WRITE, AclOperation.DESCRIBE] });
      else throw new UsageError(`--${o.producer ? 'producer' : 'consumer'} does not apply to ${resourceTypeName(r.type).toLowerCase()} ${r.name}`);
    }
    if (o.consumer && !res.some((r) => r.type === ResourceType.GROUP)) throw new UsageError('--consumer needs --group');
    if (o.producer && o.idempotent) perRes.push({ r: { type: ResourceType.CLUSTER, name: CLUSTER_NAME }, ops: [AclOperation.IDEMPOTENT_WRITE] });
  } else {
    for (const r of res) perRes.push({ r, ops: operations(o.operation, [AclOperation.ALL]) });
  }
  if (perRes.length === 0) throw new UsageError('name a resource: --topic, --group, --transactional-id, --delegation-token or --cluster');
  const entries = [
    ...(o.allowPrincipal ?? []).flatMap((p) => (o.allowHost?.length ? o.allowHost : ['*']).map((h) => ({ principal: principal(p, '--allow-principal'), host: host(h, '--allow-host'), permissionType: PermissionType.ALLOW }))),
    ...(o.denyPrincipal ?? []).flatMap((p) => (o.denyHost?.length ? o.denyHost : ['*']).map((h) => ({ principal: principal(p, '--deny-principal'), host: host(h, '--deny-host'), permissionType: PermissionType.DENY }))),
  ];
  if (entries.length === 0) throw new UsageError('give --allow-principal or --deny-principal');
  return perRes.flatMap(({ r, ops }) => ops.flatMap((operation) => entries.map((e) => ({
    resourceType: r.type, resourceName: r.name!, patternType: r.type === ResourceType.CLUSTER ? PatternType.LITERAL : pattern, operation, ...e,
  }))));
}

/** The filters of `list` and `remove`: one per resource named, or every resource. */
export function filters(o: FilterOptions): AclBindingFilter[] {
  const pattern = patternType(o, PatternType.ANY, [PatternType.ANY, PatternType.MATCH, PatternType.LITERAL, PatternType.PREFIXED]);
  const res: Resource[] = resources(o);
  const ops = o.operation === undefined ? [AclOperation.ANY] : operations(o.operation, []);
  let permission: number = PermissionType.ANY;
  if (o.permission !== undefined) {
    const p = o.permission.toUpperCase();
    if (p !== 'ALLOW' && p !== 'DENY') throw new UsageError(`--permission ${o.permission}: expected allow or deny`);
    permission = PermissionType[p];
  }
  const principals = o.principal?.map((p) => principal(p, '--principal')) ?? [null];
  const hosts = o.host?.map((h) => host(h, '--host')) ?? [null];
  return (res.length === 0 ? [{ type: ResourceType.ANY, name: null }] : res).flatMap((r) => ops.flatMap((operation) => principals.flatMap((p) => hosts.map((h) => ({
    resourceType: r.type, resourceName: r.name, patternType: pattern, principal: p, host: h, operation, permissionType: permission,
  })))));
}

const entryText = (b: { principal: string; host: string; operation: number; permissionType: number }) =>
  `\t(principal=${b.principal}, host=${b.host}, operation=${operationName(b.operation)}, permissionType=${permissionTypeName(b.permissionType)})`;
const patternText = (type: number, name: string, pattern: number) => `ResourcePattern(resourceType=${resourceTypeName(type)}, name=${name}, patternType=${patternTypeName(pattern)})`;
type Entry = Parameters<typeof entryText>[0];
/** kafka-acls.sh's block: what happened to the resource pattern, then one tab-indented line per entry. */
const aclBlock = (heading: string, r: { resourceType: number; resourceName: string; patternType?: number }, entries: readonly Entry[]) =>
  `${heading} for resource \`${patternText(r.resourceType, r.resourceName, r.patternType ?? PatternType.LITERAL)}\`:\n${entries.map((e) => entryText(e) + '\n').join('')}`;

async function add(c: KafkaClient, bindings: AclBinding[]): Promise<void> {
  const res = await c.request(CreateAclsApi, { creations: bindings.map((b) => ({ ...b, resourcePatternType: b.patternType })) });
  res.results.forEach((r, i) => {
    if (r.errorCode !== 0) throw new KafkaResponseError(r.errorCode, { api: 'CreateAcls', resource: describeBinding(bindings[i]!) }, r.errorMessage);
  });
  await writeOut(bindings.map((b) => aclBlock('Added ACL', b, [b])).join(''));
}

async function list(c: KafkaClient, fs: AclBindingFilter[]): Promise<void> {
  const out: string[] = [];
  for (const f of fs) {
    const res = await c.request(DescribeAclsApi, {
      resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType, principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permissionType,
    });
    if (res.errorCode !== 0) throw new KafkaResponseError(res.errorCode, { api: 'DescribeAcls' }, res.errorMessage);
    for (const r of res.resources) out.push(`${aclBlock('Current ACLs', r, r.acls)}\n`);
  }
  await writeOut(out.join(''));
}

async function remove(c: KafkaClient, fs: AclBindingFilter[]): Promise<void> {
  const res = await c.request(DeleteAclsApi, {
    filters: fs.map((f) => ({ resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType, principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permissionType })),
  });
  const lines: string[] = [];
  for (const r of res.filterResults) {
    if (r.errorCode !== 0) throw new KafkaResponseError(r.errorCode, { api: 'DeleteAcls' }, r.errorMessage);
    for (const m of r.matchingAcls) lines.push(aclBlock('Removed ACL', m, [m]));
  }
  await writeOut(lines.length === 0 ? 'No ACL matched.\n' : lines.join(''));
}

function resourceOptions(cmd: Command): Command {
  return addClientOptions(cmd)
    .option('--topic <name>', 'a topic (with --resource-pattern-type prefixed: a prefix; * is every topic), repeatable', collect)
    .option('--group <name>', 'a consumer group, repeatable', collect)
    .option('--transactional-id <id>', 'a transactional id, repeatable', collect)
    .option('--delegation-token <id>', 'a delegation token, repeatable', collect)
    .option('--cluster', 'the cluster (kafka-cluster)');
}

export function register(program: Command): void {
  const acls = program.command('acls').description("manage the broker's ACLs (needs authorizer.class.name on the broker)");

  resourceOptions(acls.command('add'))
    .description('add ACLs: each principal and host may (or may not) do each operation on each resource')
    .option('--resource-pattern-type <type>', 'literal or prefixed', 'literal')
    .option('--allow-principal <principal>', 'e.g. User:alice, or User:* for every user; repeatable', collect)
    .option('--deny-principal <principal>', 'repeatable', collect)
    .option('--allow-host <host>', 'an IP address or * (default *), repeatable', collect)
    .option('--deny-host <host>', 'an IP address or * (default *), repeatable', collect)
    .option('--operation <operation>', 'All, Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, CreateTokens, DescribeTokens (default All); repeatable', collect)
    .option('--producer', 'a producer: WRITE, DESCRIBE, CREATE on the topics, WRITE, DESCRIBE on the transactional ids')
    .option('--idempotent', 'with --producer: IDEMPOTENT_WRITE on the cluster')
    .option('--consumer', 'a consumer: READ, DESCRIBE on the topics, READ on the group')
    .addHelpText('after', '\nExamples:\n  strand acls add --allow-principal User:alice --operation Read --operation Describe --topic orders\n  strand acls add --allow-principal User:bob --producer --topic pay- --resource-pattern-type prefixed\n  strand acls add --allow-principal User:carol --consumer --topic orders --group billing')
    .action((o: AddOptions) => {
      const bindings = bindingsToAdd(o);
      return withClient(o, (c) => add(c, bindings));
    });

  resourceOptions(acls.command('list'))
    .description('list ACLs (all by default; with a resource and --resource-pattern-type match, every ACL that applies to it)')
    .option('--resource-pattern-type <type>', 'any, match, literal or prefixed', 'any')
    .option('--principal <principal>', 'only this principal, repeatable', collect)
    .action((o: FilterOptions) => {
      const fs = filters(o);
      return withClient(o, (c) => list(c, fs));
    });

  resourceOptions(acls.command('remove'))
    .description('remove the ACLs the options select (a resource, principal, host, operation, permission)')
    .option('--resource-pattern-type <type>', 'any, match, literal or prefixed', 'any')
    .option('--principal <principal>', 'repeatable', collect)
    .option('--host <host>', 'repeatable', collect)
    .option('--operation <operation>', 'repeatable', collect)
    .option('--permission <allow|deny>', 'only ALLOW or only DENY entries')
    .action((o: FilterOptions) => {
      const fs = filters(o);
      if (resources(o).length === 0 && o.principal === undefined) throw new UsageError('name a resource or a --principal');
      return withClient(o, (c) => remove(c, fs));
    });
}
