/**
 * DeleteTopics (20), v0-6: by name (v0-5 `topicNames`, v6 `topics[].name`) or by topic id (v6,
 * name null). Refused with TOPIC_DELETION_DISABLED when delete.topic.enable=false, and for
 * internal topics (their owners hold them open).
 */
import { ErrorCode } from '../../../protocol/error-codes.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse, DeleteTopicsResponseDeletableTopicResult } from '../../../protocol/messages/delete-topics.js';
import { ZERO_UUID } from '../../../protocol/reader.js';
import type { Handler } from '../../context.js';
import { adminTopics, errorOf, itemError, NO_ERROR } from './common.js';

export const handleDeleteTopics: Handler<DeleteTopicsRequest, DeleteTopicsResponse> = async (req, ctx) => {
  const v = ctx.apiVersion;
  const wanted: Array<{ name: string | null; topicId: string }> = v >= 6 ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId })) : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
  const seen = new Map<string, number>();
  for (const w of wanted) {
    const key = w.name ?? `id:${w.topicId}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const responses: DeleteTopicsResponseDeletableTopicResult[] = [];
  for (const w of wanted) {
    const out: DeleteTopicsResponseDeletableTopicResult = { name: w.name, topicId: w.topicId, ...NO_ERROR };
    responses.push(out);
    try {
      const topics = adminTopics(ctx);
      const byName = w.name !== null && w.name !== '';
      if (byName && w.topicId !== ZERO_UUID) {
        Object.assign(out, itemError(ErrorCode.INVALID_REQUEST, 'give a topic name or a topic id, not both'));
        continue;
      }
      const topic = byName ? topics.get(w.name!) : topics.byId(w.topicId);
      if (topic === undefined) {
        if (byName) Object.assign(out, itemError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${JSON.stringify(w.name)} does not exist`));
        else Object.assign(out, itemError(ErrorCode.UNKNOWN_TOPIC_ID, `no topic has id ${w.topicId}`));
        continue;
      }
      out.name = topic.name;
      out.topicId = topic.topicId;
      if ((seen.get(w.name ?? `id:${w.topicId}`) ?? 0) > 1) {
        Object.assign(out, itemError(ErrorCode.INVALID_REQUEST, `topic ${topic.name} is listed more than once`));
        continue;
      }
      if (!ctx.broker.config.bool('delete.topic.enable')) {
        Object.assign(out, itemError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled: delete.topic.enable=false on this broker.'));
        continue;
      }
      if (topic.internal) {
        Object.assign(out, itemError(ErrorCode.INVALID_REQUEST, `${topic.name} is an internal topic and cannot be deleted`));
        continue;
      }
      await topics.delete(topic.name, topic.topicId); // by id: never a topic created again under the name since
    } catch (err) {
      Object.assign(out, errorOf(err, ctx, `delete topic ${w.name ?? w.topicId}`));
    }
  }
  if (v < 6) for (const r of responses) r.topicId = ZERO_UUID;
  return { throttleTimeMs: 0, responses };
};
