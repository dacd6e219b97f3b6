/**
 * DescribeUserScramCredentials (50) and AlterUserScramCredentials (51): the broker's SCRAM users
 * (src/security/scram-store.ts). AlterUserScramCredentials carries the salted password, never
 * the password; the broker keeps only StoredKey and ServerKey.
 */
import { KafkaErrorCode } from '../../../errors.js';
import type { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse } from '../../../protocol/messages/alter-user-scram-credentials.js';
import type { DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse } from '../../../protocol/messages/describe-user-scram-credentials.js';
import type { Handler } from '../../context.js';
import { scramCredentialsOf } from './state.js';

export const handleDescribeUserScramCredentials: Handler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> = (req, ctx) => {
  const store = scramCredentialsOf(ctx.broker);
  if (store === undefined) return { throttleTimeMs: 0, errorCode: KafkaErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'SCRAM credentials are not loaded', results: [] };
  return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results: store.describe(req.users === null ? null : req.users.map((u) => u.name)) };
};

export const handleAlterUserScramCredentials: Handler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> = async (req, ctx) => {
  const store = scramCredentialsOf(ctx.broker);
  if (store === undefined) {
    const users = new Set([...req.deletions, ...req.upsertions].map((x) => x.name));
    return { throttleTimeMs: 0, results: [...users].map((user) => ({ user, errorCode: KafkaErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'SCRAM credentials are not loaded' })) };
  }
  return { throttleTimeMs: 0, results: await store.alter(req.deletions, req.upsertions) };
};
