/**
 * The coordinator's periodic work: aborting transactions past `transaction.timeout.ms` (fencing
 * their producers, as Kafka does) and forgetting transactional ids idle for
 * `transactional.id.expiration.ms`.
 */
import type { Logger } from 'pino';
import { TxnState } from './metadata.js';
import type { Transitions } from './transitions.js';

/** Abort ongoing transactions past their timeout, fencing their producers. */
export function abortTimedOut(t: Transitions, now: number, logger: Logger): void {
  for (const m of t.txns.values()) {
    if (m.state !== TxnState.Ongoing || t.isPending(m.transactionalId) || now - m.startTimestamp <= m.timeoutMs) continue;
    logger.info({ transactionalId: m.transactionalId, producerId: m.producerId, epoch: m.producerEpoch, timeoutMs: m.timeoutMs }, 'aborting a transaction past its timeout');
    t.withPending(m.transactionalId, () => t.end(m, false, true)).catch((err) => logger.error({ err, transactionalId: m.transactionalId }, 'cannot abort a timed-out transaction'));
  }
}

/** Forget ids without a transaction for `expirationMs` (a tombstone in the state topic). */
export function expireIds(t: Transitions, now: number, expirationMs: number, logger: Logger): void {
  for (const m of [...t.txns.values()]) {
    const idle = m.state === TxnState.Empty || m.state === TxnState.CompleteCommit || m.state === TxnState.CompleteAbort;
    if (!idle || t.isPending(m.transactionalId) || now - m.lastUpdateTimestamp < expirationMs) continue;
    const id = m.transactionalId;
    t.withPending(id, async () => {
      await t.forget(id);
      logger.info({ transactionalId: id }, 'expired a transactional id');
    }).catch((err) => logger.error({ err, transactionalId: id }, 'cannot expire a transactional id'));
  }
}
