/**
 * The client quotas of each broker, made on first use from its configuration and the quota file
 * in its data directory (src/security/quotas/store.ts); the dispatcher and the quota APIs share it.
 */
import { ClientQuotas, QuotaConfigs } from '../../../security/quotas/index.js';
import type { BrokerCore } from '../../context.js';

const byBroker = new WeakMap<BrokerCore, ClientQuotas>();

export function clientQuotasOf(core: BrokerCore): ClientQuotas {
  let q = byBroker.get(core);
  if (q === undefined) {
    const windows = { samples: core.config.int('quota.window.num'), windowMs: core.config.int('quota.window.size.seconds') * 1000 };
    q = new ClientQuotas(new QuotaConfigs(core.config.dataDir), windows);
    byBroker.set(core, q);
  }
  return q;
}
