/**
 * Workload files of the OpenMessaging Benchmark (OMB), the benchmark Kafka vendors compare
 * themselves with, read for `strand perf workload FILE.yaml`. The fields are OMB's own
 * (io.openmessaging.benchmark.Workload), so a file from OMB's `workloads/` folder runs as it is:
 *
 *   name: 1 topic / 16 partitions / 1Kb
 *   topics: 1
 *   partitionsPerTopic: 16
 *   messageSize: 1024
 *   payloadFile: "payload/payload-1Kb.data"
 *   subscriptionsPerTopic: 1
 *   consumerPerSubscription: 1
 *   producersPerTopic: 1
 *   producerRate: 50000
 *   consumerBacklogSizeGB: 0
 *   testDurationMinutes: 15
 *
 * What strand does with them: producerRate is the rate of the whole workload in messages/s (as in
 * OMB), split evenly over the topics; OMB's rate discovery (producerRate 0) is not supported. A
 * payloadFile that exists sets the message size from its length (OMB sends its bytes; strand's
 * load generator sends random letters of that size: a broker that does not compress cannot tell).
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { PerfError } from './wire.js';

export interface Workload {
  name: string;
  topics: number;
  partitionsPerTopic: number;
  messageSize: number;
  payloadFile?: string;
  subscriptionsPerTopic: number;
  consumerPerSubscription: number;
  producersPerTopic: number;
  /** Messages per second, the whole workload. */
  producerRate: number;
  consumerBacklogSizeGB: number;
  testDurationMinutes: number;
}

/** A workload file that cannot run: names the file and the field. */
export class WorkloadError extends PerfError {
  constructor(readonly file: string, readonly field: string | null, message: string) {
    super(`${file}${field === null ? '' : ` (${field})`}: ${message}`);
    this.name = 'WorkloadError';
  }
}

const DEFAULTS = { subscriptionsPerTopic: 1, consumerPerSubscription: 1, producersPerTopic: 1, consumerBacklogSizeGB: 0 } as const;

/** Parse OMB workload YAML text; `file` is for messages and for resolving payloadFile. */
export function parseWorkload(text: string, file: string): Workload {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new WorkloadError(file, null, `not YAML: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new WorkloadError(file, null, 'expected a mapping of OMB workload fields');
  const o = doc as Record<string, unknown>;
  const num = (field: string, min: number, integer: boolean, fallback?: number): number => {
    const v = o[field] ?? fallback;
    if (v === undefined) throw new WorkloadError(file, field, 'is required');
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
      throw new WorkloadError(file, field, `must be ${integer ? 'an integer' : 'a number'} of at least ${min}, not ${JSON.stringify(v)}`);
    }
    return v;
  };
  const payloadFile = o.payloadFile;
  if (payloadFile !== undefined && typeof payloadFile !== 'string') throw new WorkloadError(file, 'payloadFile', 'must be a path');
  let messageSize: number;
  const payloadPath = typeof payloadFile === 'string' ? resolve(dirname(file), payloadFile) : null;
  if (payloadPath !== null && existsSync(payloadPath)) messageSize = readFileSync(payloadPath).length;
  else if (payloadPath !== null && o.messageSize === undefined) throw new WorkloadError(file, 'payloadFile', `${payloadPath} does not exist and messageSize is not given`);
  else messageSize = num('messageSize', 1, true);
  const producerRate = num('producerRate', 0, false);
  if (producerRate === 0) throw new WorkloadError(file, 'producerRate', 'rate discovery (producerRate: 0) is not supported; give messages/s');
  return {
    name: typeof o.name === 'string' ? o.name : file,
    topics: num('topics', 1, true),
    partitionsPerTopic: num('partitionsPerTopic', 1, true),
    messageSize,
    payloadFile: payloadFile as string | undefined,
    subscriptionsPerTopic: num('subscriptionsPerTopic', 0, true, DEFAULTS.subscriptionsPerTopic),
    consumerPerSubscription: num('consumerPerSubscription', 1, true, DEFAULTS.consumerPerSubscription),
    producersPerTopic: num('producersPerTopic', 1, true, DEFAULTS.producersPerTopic),
    producerRate,
    consumerBacklogSizeGB: num('consumerBacklogSizeGB', 0, false, DEFAULTS.consumerBacklogSizeGB),
    testDurationMinutes: num('testDurationMinutes', 0, false),
  };
}

export function readWorkload(file: string): Workload {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WorkloadError(file, null, `cannot read: ${(err as Error).message}`);
  }
  return parseWorkload(text, file);
}
