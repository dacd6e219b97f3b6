/** ApiVersions (18): the APIs and versions this broker serves, exactly as registered. */
import type { ApiVersionsRequest, ApiVersionsResponse } from '../../protocol/messages/api-versions.js';
import type { Handler } from '../context.js';

export const handleApiVersions: Handler<ApiVersionsRequest, ApiVersionsResponse> = (_req, ctx) => ({
  errorCode: 0,
  apiKeys: ctx.broker.apiVersions(),
  throttleTimeMs: 0,
  supportedFeatures: [],
  finalizedFeaturesEpoch: -1n,
  finalizedFeatures: [],
  zkMigrationReady: false,
});
