/**
 * One frame of `strand top --bootstrap-server` from two samples of the Kafka protocol
 * (kafka.ts): the cluster line, per topic the message rate (log end offsets), the byte rate
 * (leader log growth), size and end offsets, per group the rate it consumes (committed offsets)
 * and its lag, and the partitions lagging most. Plain text, as the HTTP mode's frame.
 */
import { type KafkaSample, key } from './kafka.js';
import { human, rate, table } from './render.js';

export function renderKafka(target: string, before: KafkaSample, now: KafkaSample): string {
  const dt = (now.at - before.at) / 1000;
  const out: string[] = [];
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  out.push(`strand top  kafka://${target}  ${new Date(now.at).toISOString()}  (rates over ${dt.toFixed(1)} s)`);
  out.push(`cluster ${now.clusterId ?? '-'}  brokers ${now.brokers.length} [${now.brokers.join(',')}]  controller ${now.controller}  topics ${now.topics.length}  partitions ${sum(now.topics.map((t) => t.partitions))}  under-replicated ${sum(now.topics.map((t) => t.underReplicated))}  offline ${sum(now.topics.map((t) => t.offline))}`);
  out.push('');

  const ofTopic = (m: Map<string, number>, topic: string, partitions: number) => {
    let n = 0;
    for (let p = 0; p < partitions; p++) n += m.get(key(topic, p)) ?? 0;
    return n;
  };
  out.push(...table(['TOPIC', 'PARTITIONS', 'MSG IN/S', 'BYTES IN/S', 'SIZE', 'END OFFSETS'], now.topics.filter((t) => !t.internal).map((t) => {
    const endNow = ofTopic(now.end, t.name, t.partitions);
    const sizeNow = ofTopic(now.size, t.name, t.partitions);
    return [
      t.name,
      String(t.partitions),
      human(rate(endNow, ofTopic(before.end, t.name, t.partitions), dt)),
      human(rate(sizeNow, ofTopic(before.size, t.name, t.partitions), dt), 'B'),
      human(sizeNow, 'B'),
      String(endNow),
    ];
  })));
  out.push('');

  const lagOf = (c: { topic: string; partition: number; offset: number }) => {
    const e = now.end.get(key(c.topic, c.partition));
    return e === undefined ? -1 : Math.max(0, e - c.offset);
  };
  const committedBefore = new Map(before.committed.map((c) => [`${c.group}\u0000${key(c.topic, c.partition)}`, c.offset]));
  if (now.groups.length > 0) {
    out.push(...table(['GROUP', 'STATE', 'CONSUMED/S', 'LAG'], now.groups.map((g) => {
      const mine = now.committed.filter((c) => c.group === g.group);
      const moved = sum(mine.map((c) => c.offset - (committedBefore.get(`${c.group}\u0000${key(c.topic, c.partition)}`) ?? c.offset)));
      return [g.group, g.state === '' ? '-' : g.state, human(rate(moved, 0, dt)), String(sum(mine.map(lagOf).filter((l) => l > 0)))];
    })));
    out.push('');
  }
  const lagging = now.committed.map((c) => ({ ...c, lag: lagOf(c) })).filter((c) => c.lag > 0)
    .sort((a, b) => b.lag - a.lag || a.group.localeCompare(b.group) || a.topic.localeCompare(b.topic) || a.partition - b.partition).slice(0, 10);
  if (lagging.length > 0) {
    out.push(...table(['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG'], lagging.map((c) => [c.group, c.topic, String(c.partition), String(c.offset), String(now.end.get(key(c.topic, c.partition))), String(c.lag)])));
    out.push('');
  }
  for (const p of now.problems) out.push(`not read: ${p}`);
  return out.join('\n') + '\n';
}
