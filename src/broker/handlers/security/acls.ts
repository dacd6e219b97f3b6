/**
 * CreateAcls (30), DescribeAcls (29), DeleteAcls (31) without an authorizer, answered as Kafka's
 * AclApis does when `authorizer.class.name` is empty: SECURITY_DISABLED, "No Authorizer is
 * configured on the broker", for every creation and every filter. They are advertised so that
 * clients ask instead of refusing before asking.
 */
import { KafkaErrorCode } from '../../../errors.js';
import type { CreateAclsRequest, CreateAclsResponse } from '../../../protocol/messages/create-acls.js';
import type { DeleteAclsRequest, DeleteAclsResponse } from '../../../protocol/messages/delete-acls.js';
import type { DescribeAclsRequest, DescribeAclsResponse } from '../../../protocol/messages/describe-acls.js';
import type { Handler } from '../../context.js';

const NO_AUTHORIZER = 'No Authorizer is configured on the broker';

export const handleCreateAcls: Handler<CreateAclsRequest, CreateAclsResponse> = (req) => ({
  throttleTimeMs: 0,
  results: req.creations.map(() => ({ errorCode: KafkaErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER })),
});

export const handleDescribeAcls: Handler<DescribeAclsRequest, DescribeAclsResponse> = () => ({
  throttleTimeMs: 0,
  errorCode: KafkaErrorCode.SECURITY_DISABLED,
  errorMessage: NO_AUTHORIZER,
  resources: [],
});

export const handleDeleteAcls: Handler<DeleteAclsRequest, DeleteAclsResponse> = (req) => ({
  throttleTimeMs: 0,
  filterResults: req.filters.map(() => ({ errorCode: KafkaErrorCode.SECURITY_DISABLED, errorMessage: NO_AUTHORIZER, matchingAcls: [] })),
});
