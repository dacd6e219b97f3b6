/**
 * What the registry's routes share: Confluent's content types, body parsing that answers bad JSON
 * with `{"error_code": 400, ...}`, and one error handler writing `{"error_code", "message"}` with
 * the status taken from the error code (40401 -> 404), as Confluent's exception mappers do.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { RegistryError } from './errors.js';

export const SCHEMA_REGISTRY_V1_JSON = 'application/vnd.schemaregistry.v1+json';

/** Accept Confluent's request content types (and none), all parsed as JSON. */
export function acceptJson(app: FastifyInstance, types: readonly (string | RegExp)[]): void {
  for (const type of types) {
    app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch (err) {
        done(Object.assign(new Error(`Unexpected character in the request body: ${(err as Error).message}`), { statusCode: 400 }), undefined);
      }
    });
  }
}

/** Errors as Confluent writes them, in `contentType`. */
export function confluentErrors(app: FastifyInstance, contentType: string, onServerError: (err: Error) => void): void {
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown }, _req, reply: FastifyReply) => {
    if (err instanceof RegistryError) return reply.code(err.status).header('content-type', contentType).send(err.toJSON());
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) onServerError(err);
    // Confluent's generic codes: 50001 for the backing store, 500 otherwise; client errors keep their status.
    return reply.code(status).header('content-type', contentType).send({ error_code: status, message: err.message });
  });
}
