/**
 * OffsetDelete (47), v0 (KIP-496): deletes a group's committed offsets for some partitions.
 * Group-level errors (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, INVALID_GROUP_ID) come with no
 * topics; per partition UNKNOWN_TOPIC_OR_PARTITION or GROUP_SUBSCRIBED_TO_TOPIC.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../../../protocol/messages/offset-delete.js';
import type { Handler } from '../../context.js';
import { coordinator } from './common.js';

export const handleOffsetDelete: Handler<OffsetDeleteRequest, OffsetDeleteResponse> = (req, ctx) => {
  const c = coordinator(ctx);
  if (c === undefined) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, throttleTimeMs: 0, topics: [] };
  const r = c.deleteOffsets(req.groupId, req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })));
  return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
};
