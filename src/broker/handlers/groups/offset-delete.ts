/**
 * OffsetDelete (47), v0 (KIP-496): deletes a group's committed offsets for some partitions.
 * Group-level errors (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, INVALID_GROUP_ID) come with no
 * topics; per partition UNKNOWN_TOPIC_OR_PARTITION or GROUP_SUBSCRIBED_TO_TOPIC.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../../../protocol/messages/offset-delete.js';
import type { Handler } from '../../context.js';
import { coordinator, unavailable } from './common.js';

export const handleOffsetDelete: Handler<OffsetDeleteRequest, OffsetDeleteResponse> = (req, ctx) => {
  const c = coordinator(ctx, req.groupId);
  if (c === undefined) return { errorCode: unavailable(ctx, req.groupId), throttleTimeMs: 0, topics: [] };
  const r = c.deleteOffsets(req.groupId, req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })));
  return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
};
