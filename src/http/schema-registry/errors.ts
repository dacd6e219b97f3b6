/**
 * Schema Registry errors with Confluent's codes and messages: the HTTP status is the first three
 * digits of `error_code` (40401 -> 404), and the body is `{"error_code": n, "message": "..."}`,
 * exactly as Confluent's RestException mapper writes it. Messages are Confluent's own wording
 * (io.confluent.kafka.schemaregistry.rest.exceptions.Errors), so clients that match on them work.
 */
import { StrandError } from '../../errors.js';

export class RegistryError extends StrandError {
  readonly status: number;

  constructor(readonly errorCode: number, message: string) {
    super(message, 'ERR_STRAND_SCHEMA_REGISTRY');
    this.status = errorCode < 1000 ? errorCode : Math.floor(errorCode / 100);
  }

  toJSON(): { error_code: number; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}

export const subjectNotFound = (subject: string): RegistryError => new RegistryError(40401, `Subject '${subject}' not found.`);
export const versionNotFound = (version: number | string): RegistryError => new RegistryError(40402, `Version ${version} not found.`);
export const schemaNotFound = (id?: number): RegistryError => new RegistryError(40403, id === undefined ? 'Schema not found' : `Schema ${id} not found`);
export const subjectSoftDeleted = (subject: string): RegistryError => new RegistryError(40404, `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`);
export const subjectNotSoftDeleted = (subject: string): RegistryError => new RegistryError(40405, `Subject '${subject}' was not deleted first before being permanently deleted`);
export const versionSoftDeleted = (subject: string, version: number): RegistryError => new RegistryError(40406, `Subject '${subject}' Version ${version} was soft deleted.Set permanent=true to delete permanently`);
export const versionNotSoftDeleted = (subject: string, version: number): RegistryError => new RegistryError(40407, `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`);
export const subjectLevelCompatibilityNotConfigured = (subject: string): RegistryError => new RegistryError(40408, `Subject '${subject}' does not have subject-level compatibility configured`);
export const subjectLevelModeNotConfigured = (subject: string): RegistryError => new RegistryError(40409, `Subject '${subject}' does not have subject-level mode configured`);
export const incompatibleSchema = (subject: string, details: readonly string[]): RegistryError => new RegistryError(409, `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${details.join(', ')}]`);
export const invalidSchema = (detail: string): RegistryError => new RegistryError(42201, `Invalid schema: ${detail}`);
export const invalidVersion = (version: string): RegistryError => new RegistryError(42202, `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
export const invalidCompatibilityLevel = (): RegistryError => new RegistryError(42203, 'Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive');
export const invalidMode = (): RegistryError => new RegistryError(42204, 'Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE, and IMPORT');
export const operationNotPermitted = (detail: string): RegistryError => new RegistryError(42205, detail);
export const referenceExists = (detail: string): RegistryError => new RegistryError(42206, `One or more references exist to the schema {${detail}}.`);
export const storeError = (detail: string): RegistryError => new RegistryError(50001, `Error in the backend data store - ${detail}`);
/** Confluent's RequestForwardingFailedException: the leader could not be reached or did not answer sensibly. */
export const forwardingFailed = (detail: string): RegistryError => new RegistryError(50003, `Error while forwarding the request to the leader: ${detail}`);
/** Confluent's UnknownLeaderException: no registry leader is elected (yet). */
export const unknownLeader = (): RegistryError => new RegistryError(50004, 'Leader not known.');
export const unprocessable = (detail: string): RegistryError => new RegistryError(422, detail);
