/**
 * The version strings Kafka 3.9 accepts for the deprecated `message.format.version` (topic) and
 * `log.message.format.version` (broker): its MetadataVersion names, parsed as
 * `MetadataVersion.fromVersionString` does and refused with MetadataVersionValidator's message.
 * Since 3.0 (KIP-724) the setting is ignored for v2 record batches, so strand only validates it.
 */

/** Each Kafka release with its inter-broker protocol sub-versions (none: the release name alone). */
const RELEASES: ReadonlyArray<readonly [string, number]> = [
  ['0.8.0', 0], ['0.8.1', 0], ['0.8.2', 0], ['0.9.0', 0],
  ['0.10.0', 2], ['0.10.1', 3], ['0.10.2', 1], ['0.11.0', 3],
  ['1.0', 1], ['1.1', 1], ['2.0', 2], ['2.1', 3], ['2.2', 2], ['2.3', 2], ['2.4', 2], ['2.5', 1], ['2.6', 1], ['2.7', 3], ['2.8', 2],
  ['3.0', 2], ['3.1', 1], ['3.2', 1], ['3.3', 4], ['3.4', 1], ['3.5', 3], ['3.6', 3], ['3.7', 5], ['3.8', 1], ['3.9', 1],
];

/** Every key fromVersionString looks up: each release ("2.8", naming its latest sub-version) and each "2.8-IV0". */
const KNOWN: ReadonlySet<string> = new Set(RELEASES.flatMap(([release, ivs]) => [release, ...Array.from({ length: ivs }, (_, i) => `${release}-IV${i}`)]));

/**
 * Whether Kafka takes `version`: like fromVersionString, only the first three dot-separated
 * parts count for "0.x" versions and the first two for later ones, so "0.10.0.1", "0.8.0.x"
 * and "2.8.1" are accepted ("1.0.1" is 1.0, as in Kafka).
 */
export function isMessageFormatVersion(version: string): boolean {
  const parts = version.split('.');
  const significant = version.startsWith('0.') ? 3 : 2;
  return KNOWN.has(parts.length <= significant ? version : parts.slice(0, significant).join('.'));
}

/** null when `value` is valid for config `name`, otherwise Kafka's ConfigException message. */
export function checkMessageFormatVersion(name: string, value: string): string | null {
  return isMessageFormatVersion(value) ? null : `Invalid value ${value} for configuration ${name}: Version ${value} is not a valid version`;
}
