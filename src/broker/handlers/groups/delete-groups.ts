/**
 * DeleteGroups (42), v0-2: removes Empty groups and their offsets. GROUP_ID_NOT_FOUND for an
 * unknown group, NON_EMPTY_GROUP for one with members; each group answered on its own.
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../../protocol/messages/delete-groups.js';
import type { Handler } from '../../context.js';
import { coordinator, unavailable } from './common.js';

export const handleDeleteGroups: Handler<DeleteGroupsRequest, DeleteGroupsResponse> = (req, ctx) => {
  const c = coordinator(ctx);
  const done = new Map<string, number>();
  return {
    throttleTimeMs: 0,
    results: req.groupsNames.map((groupId) => {
      // A name given twice is deleted once; the repeat sees the first answer.
      let errorCode = done.get(groupId);
      if (errorCode === undefined) {
        errorCode = c === undefined || coordinator(ctx, groupId) === undefined ? unavailable(ctx, groupId) : c.deleteGroup(groupId);
        done.set(groupId, errorCode);
      }
      return { groupId, errorCode };
    }),
  };
};
