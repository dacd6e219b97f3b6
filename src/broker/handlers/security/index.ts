/**
 * The security APIs served by the dispatcher: SaslHandshake and SaslAuthenticate on listeners
 * without SASL (answered ILLEGAL_SASL_STATE, as Kafka's KafkaApis does; on SASL listeners the
 * SASL gate answers them), the SCRAM credential APIs, and the ACL APIs.
 */
import { ApiKey } from '../../../protocol/messages/index.js';
import type { Handler } from '../../context.js';
import { handleCreateAcls, handleDeleteAcls, handleDescribeAcls } from './acls.js';
import { handleAlterUserScramCredentials, handleDescribeUserScramCredentials } from './scram-credentials.js';

const ILLEGAL_SASL_STATE = 34;

export const SECURITY_HANDLERS: Readonly<Record<number, Handler>> = Object.freeze({
  [ApiKey.SaslHandshake]: () => ({ errorCode: ILLEGAL_SASL_STATE, mechanisms: [] }),
  [ApiKey.SaslAuthenticate]: () => ({ errorCode: ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate request received after successful authentication', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }),
  [ApiKey.DescribeUserScramCredentials]: handleDescribeUserScramCredentials,
  [ApiKey.AlterUserScramCredentials]: handleAlterUserScramCredentials,
  [ApiKey.CreateAcls]: handleCreateAcls,
  [ApiKey.DescribeAcls]: handleDescribeAcls,
  [ApiKey.DeleteAcls]: handleDeleteAcls,
});
