/** DescribeClientQuotas (48): the quota entities matching a filter, with their values (Kafka's ClientQuotasImage.describe). */
import { StrandError } from '../../../errors.js';
import type { DescribeClientQuotasRequest, DescribeClientQuotasResponse } from '../../../protocol/messages/describe-client-quotas.js';
import { describeMatching, entityParts } from '../../../security/quotas/index.js';
import type { Handler } from '../../context.js';
import { clientQuotasOf } from './state.js';

export const handleDescribeClientQuotas: Handler<DescribeClientQuotasRequest, DescribeClientQuotasResponse> = (req, ctx) => {
  const quotas = clientQuotasOf(ctx.broker);
  try {
    const matching = describeMatching(quotas.configs.all(), req.components, req.strict);
    return {
      throttleTimeMs: 0, errorCode: 0, errorMessage: null,
      entries: matching.map((r) => ({ entity: entityParts(r.entity), values: [...r.values].map(([key, value]) => ({ key, value })) })),
    };
  } catch (err) {
    if (!(err instanceof StrandError)) throw err;
    return { throttleTimeMs: 0, errorCode: err.kafkaCode, errorMessage: err.message, entries: null };
  }
};
