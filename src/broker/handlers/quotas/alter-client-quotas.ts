/**
 * AlterClientQuotas (49): set and remove quota keys of entities, each entry checked on its own
 * (INVALID_REQUEST, as Kafka answers) and the valid ones applied and persisted together before
 * the answer; `validate_only` checks and changes nothing.
 */
import { StrandError } from '../../../errors.js';
import type { AlterClientQuotasRequest, AlterClientQuotasResponse } from '../../../protocol/messages/alter-client-quotas.js';
import { entityOf, opsOf, type QuotaEntity } from '../../../security/quotas/index.js';
import type { Handler } from '../../context.js';
import { clientQuotasOf } from './state.js';

export const handleAlterClientQuotas: Handler<AlterClientQuotasRequest, AlterClientQuotasResponse> = async (req, ctx) => {
  const quotas = clientQuotasOf(ctx.broker);
  const changes: Array<{ entity: QuotaEntity; set: Map<string, number | null> }> = [];
  const entries = req.entries.map((e) => {
    try {
      const entity = entityOf(e.entity);
      changes.push({ entity, set: opsOf(entity, e.ops) });
      return { errorCode: 0, errorMessage: null, entity: e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })) };
    } catch (err) {
      if (!(err instanceof StrandError)) throw err;
      return { errorCode: err.kafkaCode, errorMessage: err.message, entity: e.entity.map((p) => ({ entityType: p.entityType, entityName: p.entityName })) };
    }
  });
  if (!req.validateOnly && changes.length > 0) {
    await quotas.configs.alter(changes);
    ctx.broker.logger.info({ principal: ctx.principal, entries: changes.length }, 'client quotas altered');
  }
  return { throttleTimeMs: 0, entries };
};
