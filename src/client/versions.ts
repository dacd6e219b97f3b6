/**
 * Which versions of each API this client can send, and the negotiation rule: for every API use
 * the highest version inside both the client's range and the broker's advertised range.
 *
 * The codecs cover every version; the lower bounds below are where the client's own logic
 * starts to work (magic v2 record batches need Produce v3 and Fetch v4; Metadata v0 cannot ask
 * for "all topics"; ListOffsets v0 answers in a different shape).
 */
import { ApiKey, type ApiVersionsResponseApiVersion } from '../protocol/messages/index.js';

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** The versions this client sends, by API key. */
export const CLIENT_VERSIONS: ReadonlyMap<number, VersionRange> = new Map<number, VersionRange>([
  [ApiKey.Produce, { min: 3, max: 11 }],
  [ApiKey.Fetch, { min: 4, max: 17 }],
  [ApiKey.ListOffsets, { min: 1, max: 9 }],
  [ApiKey.Metadata, { min: 1, max: 12 }],
  [ApiKey.ApiVersions, { min: 0, max: 3 }],
  [ApiKey.CreateTopics, { min: 0, max: 7 }],
  [ApiKey.DeleteTopics, { min: 0, max: 6 }],
  [ApiKey.DescribeConfigs, { min: 0, max: 4 }],
  [ApiKey.AlterConfigs, { min: 0, max: 2 }],
  [ApiKey.CreatePartitions, { min: 0, max: 3 }],
  [ApiKey.IncrementalAlterConfigs, { min: 0, max: 1 }],
  [ApiKey.DescribeCluster, { min: 0, max: 1 }],
]);

/** CLIENT_VERSIONS with the maxima lowered to `caps` (API key → highest version to use). */
export function capVersions(caps: Readonly<Record<number, number>>): Map<number, VersionRange> {
  const out = new Map(CLIENT_VERSIONS);
  for (const [key, max] of Object.entries(caps)) {
    const mine = out.get(Number(key));
    out.set(Number(key), { min: mine?.min ?? 0, max: Math.min(max, mine?.max ?? max) });
  }
  return out;
}

/** The ApiVersions version sent first; a broker that does not know it answers UNSUPPORTED_VERSION. */
export const FIRST_API_VERSIONS_VERSION = 3;

/**
 * The version to use per API key: the highest version both sides support. APIs with no common
 * version are left out (sending one fails with UnsupportedApiError). APIs the client does not
 * list are used at the broker's maximum (for raw requests).
 */
export function negotiateVersions(
  broker: ReadonlyArray<Pick<ApiVersionsResponseApiVersion, 'apiKey' | 'minVersion' | 'maxVersion'>>,
  client: ReadonlyMap<number, VersionRange> = CLIENT_VERSIONS,
): Map<number, number> {
  const out = new Map<number, number>();
  for (const { apiKey, minVersion, maxVersion } of broker) {
    const mine = client.get(apiKey);
    const max = mine === undefined ? maxVersion : Math.min(mine.max, maxVersion);
    const min = mine === undefined ? minVersion : Math.max(mine.min, minVersion);
    if (max >= min) out.set(apiKey, max);
  }
  return out;
}
