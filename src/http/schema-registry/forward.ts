/**
 * A follower's write, forwarded to the registry leader over HTTP as Confluent's followers forward
 * them (RestService against the leader's identity): the same method, path and JSON body; the
 * leader's answer is returned, and its `{"error_code", "message"}` errors are raised as the same
 * RegistryError, so the client sees exactly what the leader said. A leader that cannot be reached
 * or answers something that is not the registry's JSON is 50003.
 */
import { forwardingFailed, RegistryError } from './errors.js';
import { SCHEMA_REGISTRY_V1_JSON } from './http-common.js';

/** Marks a forwarded request, so a registry that is not the leader (any more) refuses it instead of forwarding it on. */
export const FORWARDED_HEADER = 'x-strand-schema-registry-forwarded';

const FORWARD_TIMEOUT_MS = 30_000;

export async function forwardWrite<T>(leaderUrl: string, method: string, path: string, body?: unknown, authorization?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(leaderUrl + path, {
      method,
      headers: { [FORWARDED_HEADER]: 'true', ...(authorization === undefined ? {} : { authorization }), ...(body === undefined ? {} : { 'content-type': SCHEMA_REGISTRY_V1_JSON }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
    });
  } catch (err) {
    throw forwardingFailed(`${method} ${leaderUrl}${path}: ${(err as Error).message}`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw forwardingFailed(`${method} ${leaderUrl}${path} answered ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const e = json as { error_code?: unknown; message?: unknown };
    if (typeof e.error_code === 'number') throw new RegistryError(e.error_code, String(e.message ?? ''));
    throw forwardingFailed(`${method} ${leaderUrl}${path} answered ${res.status}`);
  }
  return json as T;
}
