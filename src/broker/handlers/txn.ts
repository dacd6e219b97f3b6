/**
 * The producer-id and transaction APIs, by API key, for the dispatcher's table: InitProducerId
 * (idempotent and transactional producers), AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, and the
 * TxnOffsetCommit (with the group coordinator), and the admin APIs DescribeProducers,
 * ListTransactions and DescribeTransactions, and WriteTxnMarkers (between brokers). They are served by the broker's
 * TransactionCoordinator (src/broker/txn), at every version their codecs have.
 */
import { ApiKey } from '../../protocol/messages/index.js';
import type { Handler } from '../context.js';
import { handleAddOffsetsToTxn } from './txn/add-offsets.js';
import { handleAddPartitionsToTxn } from './txn/add-partitions.js';
import { handleDescribeProducers } from './txn/describe-producers.js';
import { handleDescribeTransactions } from './txn/describe-transactions.js';
import { handleEndTxn } from './txn/end-txn.js';
import { handleInitProducerId } from './txn/init-producer-id.js';
import { handleListTransactions } from './txn/list-transactions.js';
import { handleTxnOffsetCommit } from './txn/txn-offset-commit.js';
import { handleWriteTxnMarkers } from './txn/write-txn-markers.js';

export const TXN_HANDLERS: Readonly<Record<number, Handler>> = Object.freeze({
  [ApiKey.InitProducerId]: handleInitProducerId,
  [ApiKey.AddPartitionsToTxn]: handleAddPartitionsToTxn,
  [ApiKey.AddOffsetsToTxn]: handleAddOffsetsToTxn,
  [ApiKey.EndTxn]: handleEndTxn,
  [ApiKey.TxnOffsetCommit]: handleTxnOffsetCommit,
  [ApiKey.DescribeProducers]: handleDescribeProducers,
  [ApiKey.ListTransactions]: handleListTransactions,
  [ApiKey.DescribeTransactions]: handleDescribeTransactions,
  [ApiKey.WriteTxnMarkers]: handleWriteTxnMarkers,
});
