/**
 * Which APIs this broker serves, at which versions, and by which handler. ApiVersions
 * advertises exactly this table, so a client never negotiates something we cannot answer.
 */
import { API_BY_KEY } from '../../protocol/messages/index.js';
import type { ApiCodec } from '../../protocol/types.js';
import type { Handler } from '../context.js';

export interface ServedApi {
  readonly api: ApiCodec;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly handler: Handler;
}

export class ApiRegistry {
  private readonly served = new Map<number, ServedApi>();

  /**
   * Serve `apiKey` with `handler` at the codec's versions, narrowed by `versions` (e.g. Produce
   * from v3, the first to carry v2 record batches).
   */
  register(apiKey: number, handler: Handler, versions: { min?: number; max?: number } = {}): void {
    // A handler may bring its own codec, for a version newer than the generated schemas.
    const api = (handler as { codec?: ApiCodec }).codec ?? API_BY_KEY[apiKey];
    if (api === undefined) throw new Error(`no codec for API key ${apiKey}`);
    // Kafka 3.9 marks some latest versions unstable and does not advertise them.
    const codecMax = api.latestVersionUnstable ? api.maxVersion - 1 : api.maxVersion;
    this.served.set(apiKey, {
      api,
      minVersion: Math.max(api.minVersion, versions.min ?? api.minVersion),
      maxVersion: Math.min(codecMax, versions.max ?? codecMax),
      handler,
    });
  }

  get(apiKey: number): ServedApi | undefined {
    return this.served.get(apiKey);
  }

  /** The ApiVersions list. */
  versions(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
    return [...this.served.values()].sort((a, b) => a.api.apiKey - b.api.apiKey).map((s) => ({ apiKey: s.api.apiKey, minVersion: s.minVersion, maxVersion: s.maxVersion }));
  }
}
