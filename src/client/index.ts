/** strand's Kafka client: connections, metadata, admin, produce and fetch on the generated codecs. */
export { KafkaClient } from './client.js';
export { Connection, type ClientTlsOptions, type ConnectionOptions, type SaslClientOptions, type SendOptions } from './connection.js';
export { ClientCore, parseHostPort, type KafkaClientOptions, type BrokerInfo, type ClusterMetadata, type PartitionInfo, type TopicInfo, type MetadataOptions } from './core.js';
export type { NewTopic, TopicResult, NamedResult, AdminOptions, ConfigResource, ConfigResult, ConfigEntry, ConfigOp, ResourceResult, ResourceTypeName } from './admin.js';
export { CONFIG_SOURCES, ResourceType } from './admin.js';
export type { Acks, ProduceOptions, ProduceResult, FetchOptions, FetchRequestEntry, FetchResult, OffsetSpec, ListOffsetsResult } from './data.js';
export { AuthenticationError, ConnectionError, KafkaResponseError, RequestTimeoutError, SaslAuthenticationError, SslAuthenticationError, UnsupportedApiError, formatAddress, type ErrorPath } from './errors.js';
export { decodeRecords, type DecodedRecords } from './records.js';
export { murmur2, partitionForKey } from './partitioner.js';
export { CLIENT_VERSIONS, capVersions, negotiateVersions, type VersionRange } from './versions.js';
