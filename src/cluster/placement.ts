/**
 * Replica placement with observers, in the terms of Confluent Server's multi-region clusters
 * (the topic config `confluent.placement.constraints`):
 *
 *   {"version": 1,
 *    "replicas":  [{"count": 2, "constraints": {"rack": "east"}}],
 *    "observers": [{"count": 1, "constraints": {"rack": "west"}}]}
 *
 * "replicas" are the synchronous replicas: they join the ISR, count for acks=all and
 * min.insync.replicas, and may lead. "observers" copy the log asynchronously from the leader
 * like any follower but never join the ISR, so a distant site never slows an acks=all write
 * and never holds back the high watermark; they are listed after the synchronous replicas in
 * Metadata's replica list, as Confluent lists them. An observer is promoted (or a replica
 * demoted) by changing the config: the controller gives the partition's existing replicas the
 * roles the new placement asks for, and a promoted observer joins the ISR once its leader sees
 * it caught up.
 *
 * Pure functions; the controller applies them (controller.ts).
 */
import { KafkaErrorCode, StrandError } from '../errors.js';
import type { BrokerRegistration, PartitionState } from './types.js';

export const PLACEMENT_CONFIG = 'confluent.placement.constraints';

export interface PlacementGroup {
  count: number;
  rack: string;
}

export interface Placement {
  replicas: PlacementGroup[];
  observers: PlacementGroup[];
}

/** A placement that cannot be parsed or met: INVALID_CONFIG, or INVALID_REPLICATION_FACTOR when brokers are missing. */
export class PlacementError extends StrandError {
  constructor(message: string, code: KafkaErrorCode = KafkaErrorCode.INVALID_CONFIG) {
    super(message, 'ERR_STRAND_PLACEMENT', code);
  }
}

function groups(v: unknown, field: string): PlacementGroup[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new PlacementError(`${PLACEMENT_CONFIG}: "${field}" must be a list of {"count": N, "constraints": {"rack": "R"}}`);
  return v.map((g: unknown, i) => {
    const o = g as { count?: unknown; constraints?: { rack?: unknown } } | null;
    if (o === null || typeof o !== 'object' || !Number.isInteger(o.count) || (o.count as number) < 1) {
      throw new PlacementError(`${PLACEMENT_CONFIG}: ${field}[${i}].count must be an integer >= 1`);
    }
    const rack = o.constraints?.rack;
    if (typeof rack !== 'string' || rack === '') throw new PlacementError(`${PLACEMENT_CONFIG}: ${field}[${i}].constraints.rack must be a rack name`);
    return { count: o.count as number, rack };
  });
}

/** Parses the config's JSON value; throws PlacementError naming what is wrong. */
export function parsePlacement(value: string): Placement {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    throw new PlacementError(`${PLACEMENT_CONFIG} is not JSON: ${value}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new PlacementError(`${PLACEMENT_CONFIG} must be a JSON object`);
  const o = v as Record<string, unknown>;
  if (o.version !== 1 && o.version !== 2) throw new PlacementError(`${PLACEMENT_CONFIG}: "version" must be 1 or 2`);
  const replicas = groups(o.replicas, 'replicas');
  const observers = groups(o.observers, 'observers');
  if (replicas.length === 0) throw new PlacementError(`${PLACEMENT_CONFIG}: "replicas" must name at least one group (observers alone cannot lead)`);
  return { replicas, observers };
}

/** The config check used by topic-config.ts: null when fine, else what is accepted. */
export function checkPlacement(value: string): string | null {
  if (value === '') return null;
  try {
    parsePlacement(value);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

export const placementSize = (p: Placement): number => [...p.replicas, ...p.observers].reduce((n, g) => n + g.count, 0);

/**
 * Replicas and observers of each new partition: each group takes `count` brokers of its rack in
 * turn, starting one further along the rack for each partition so leaders spread; the
 * synchronous replicas come first (the first leads), the observers last.
 */
export function assignByPlacement(placement: Placement, numPartitions: number, brokers: readonly Pick<BrokerRegistration, 'nodeId' | 'rack'>[], startIndex: number): Array<{ replicas: number[]; observers: number[] }> {
  const byRack = new Map<string, number[]>();
  for (const b of brokers) if (b.rack) byRack.set(b.rack, [...(byRack.get(b.rack) ?? []), b.nodeId].sort((x, y) => x - y));
  const needed = new Map<string, number>();
  for (const g of [...placement.replicas, ...placement.observers]) needed.set(g.rack, (needed.get(g.rack) ?? 0) + g.count);
  for (const [rack, count] of needed) {
    const have = byRack.get(rack)?.length ?? 0;
    if (have < count) throw new PlacementError(`${PLACEMENT_CONFIG} needs ${count} broker(s) in rack ${rack}, ${have} live broker(s) are there`, KafkaErrorCode.INVALID_REPLICATION_FACTOR);
  }
  const out: Array<{ replicas: number[]; observers: number[] }> = [];
  for (let p = 0; p < numPartitions; p++) {
    const taken = new Set<number>();
    const pick = (g: PlacementGroup): number[] => {
      const rack = byRack.get(g.rack)!;
      const chosen: number[] = [];
      for (let i = 0; chosen.length < g.count; i++) {
        const b = rack[(p + startIndex + i) % rack.length]!;
        if (!taken.has(b)) {
          taken.add(b);
          chosen.push(b);
        }
      }
      return chosen;
    };
    const sync = placement.replicas.flatMap(pick);
    const observers = placement.observers.flatMap(pick);
    out.push({ replicas: [...sync, ...observers], observers });
  }
  return out;
}

/**
 * The roles a partition's existing replicas take under `placement`, keeping every replica where
 * it is and preferring, for each synchronous group, the replicas in the ISR: the new state, or
 * null when nothing changes or the replicas cannot meet the placement without moving (a
 * reassignment's job; `reason` says why). A leader demoted to observer hands leadership to an
 * in-sync synchronous replica; if there is none the change waits. Racks of dead brokers are not
 * known, so the change waits for them too.
 */
export function placementRoles(state: PartitionState, placement: Placement, racks: ReadonlyMap<number, string | null>, controllerEpoch: number): { state: PartitionState | null; reason?: string } {
  if (state.replicas.length !== placementSize(placement)) return { state: null, reason: `${state.replicas.length} replicas, the placement asks for ${placementSize(placement)}` };
  const unknown = state.replicas.filter((r) => !racks.has(r));
  if (unknown.length > 0) return { state: null, reason: `the racks of broker(s) ${unknown.join(', ')} are not known while they are down` };
  const free = new Set(state.replicas);
  const inIsr = (r: number): number => (state.isr.includes(r) ? 0 : 1);
  const take = (g: PlacementGroup, prefer: (r: number) => number): number[] | null => {
    const candidates = state.replicas.filter((r) => free.has(r) && racks.get(r) === g.rack).sort((a, b) => prefer(a) - prefer(b) || state.replicas.indexOf(a) - state.replicas.indexOf(b));
    if (candidates.length < g.count) return null;
    const chosen = candidates.slice(0, g.count);
    for (const r of chosen) free.delete(r);
    return chosen;
  };
  const sync: number[] = [];
  for (const g of placement.replicas) {
    const c = take(g, inIsr);
    if (c === null) return { state: null, reason: `not enough replicas in rack ${g.rack}` };
    sync.push(...c);
  }
  const observers: number[] = [];
  for (const g of placement.observers) {
    const c = take(g, () => 0);
    if (c === null) return { state: null, reason: `not enough replicas in rack ${g.rack}` };
    observers.push(...c);
  }
  // The synchronous replicas keep their order (the first is the preferred leader), observers last.
  const replicas = [...state.replicas.filter((r) => sync.includes(r)), ...state.replicas.filter((r) => observers.includes(r))];
  const isr = state.isr.filter((r) => !observers.includes(r));
  let leader = state.leader;
  if (observers.includes(leader)) {
    const next = replicas.find((r) => isr.includes(r));
    if (next === undefined) return { state: null, reason: `the leader ${leader} would become an observer and no synchronous replica is in sync` };
    leader = next;
  }
  const current = state.observers ?? [];
  const same = replicas.every((r, i) => r === state.replicas[i]) && observers.length === current.length && observers.every((r) => current.includes(r));
  if (same) return { state: null };
  const orderedObservers = replicas.filter((r) => observers.includes(r));
  return {
    state: {
      ...state,
      replicas,
      observers: orderedObservers,
      isr: isr.length > 0 ? isr : [leader],
      leader,
      leaderEpoch: leader === state.leader ? state.leaderEpoch : state.leaderEpoch + 1,
      partitionEpoch: state.partitionEpoch + 1,
      controllerEpoch,
    },
  };
}
