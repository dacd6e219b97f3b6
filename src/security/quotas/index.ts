/** Client quotas (producer_byte_rate, consumer_byte_rate, request_percentage) and connection quotas. */
export { ClientQuotas, type Resolved } from './manager.js';
export { QuotaConfigs, QUOTAS_FILE, QuotaFileError } from './store.js';
export { charge, chargeFetch, fetchBudget, hold, type Charge, type Throttleable } from './enforce.js';
export { describeMatching, entityOf, opsOf, InvalidQuotaRequestError } from './admin.js';
export { entityParts, describeEntity, type QuotaEntity } from './entity.js';
export { SampledRate, throttleTimeMs, type RateWindows } from './sampled-rate.js';
export { ConnectionQuotas } from './connection-quotas.js';
