/**
 * The CLI's tables, as Kafka's tools print them (kafka-consumer-groups, kafka-transactions):
 * a header row, columns padded to their widest cell and two spaces apart, no trailing blanks.
 */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
