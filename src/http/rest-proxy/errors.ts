/**
 * REST Proxy errors with Confluent REST Proxy's codes and messages
 * (io.confluent.kafkarest.Errors): the HTTP status is the code's first three digits, the body
 * `{"error_code": n, "message": "..."}`.
 */
import { RegistryError } from '../schema-registry/errors.js';

export class RestProxyError extends RegistryError {}

export const topicNotFound = (): RestProxyError => new RestProxyError(40401, 'Topic not found.');
export const partitionNotFound = (): RestProxyError => new RestProxyError(40402, 'Partition not found.');
export const consumerInstanceNotFound = (): RestProxyError => new RestProxyError(40403, 'Consumer instance not found.');
export const consumerFormatMismatch = (): RestProxyError => new RestProxyError(40601, 'The requested embedded data format does not match the deserializer for this consumer instance');
export const consumerAlreadySubscribed = (): RestProxyError => new RestProxyError(40901, 'Consumer cannot subscribe the the specified target because it has already subscribed to other topics.');
export const consumerAlreadyExists = (): RestProxyError => new RestProxyError(40902, 'Consumer instance with the specified name already exists.');
export const illegalState = (detail: string): RestProxyError => new RestProxyError(40903, `Illegal state: ${detail}`);
export const keySchemaMissing = (): RestProxyError => new RestProxyError(42201, 'Request includes keys and uses a format that requires schemas, but does not include the key_schema or key_schema_id fields');
export const valueSchemaMissing = (): RestProxyError => new RestProxyError(42202, 'Request includes values and uses a format that requires schemas, but does not include the value_schema or value_schema_id fields');
export const jsonConversion = (detail: string): RestProxyError => new RestProxyError(42203, `Conversion of JSON to Object failed: ${detail}`);
export const invalidConsumerConfig = (detail: string): RestProxyError => new RestProxyError(42204, `Invalid consumer configuration: ${detail}`);
export const unprocessableEntity = (detail: string): RestProxyError => new RestProxyError(422, detail);
export const notFound = (detail: string): RestProxyError => new RestProxyError(404, detail);
export const unsupportedMediaType = (): RestProxyError => new RestProxyError(415, 'HTTP 415 Unsupported Media Type');
