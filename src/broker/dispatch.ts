/**
 * From a request frame to response chunks: read the header, check the API and version against
 * what is served, decode the body, run the handler, encode the response. A frame that cannot
 * be read, an unknown API, or an unsupported version throws, which closes that connection
 * only (as Kafka does); an ApiVersions request of an unknown version is answered at v0 with
 * UNSUPPORTED_VERSION so the client can retry lower (KIP-511).
 */
import { UnsupportedVersionError } from '../protocol/errors.js';
import { encodeApiVersionsFallback, encodeResponseFrame, readRequestFrame } from '../protocol/frame.js';
import { ApiKey, ProduceApi } from '../protocol/messages/index.js';
import type { ProduceResponse } from '../protocol/messages/produce.js';
import { encodeProduceResponseFrame, type ProduceFrame, readProduceFrame } from '../protocol/produce-fast.js';
import type { Connection, FrameHandler } from './connection.js';
import type { BrokerCore, Handler, RequestContext } from './context.js';
import type { ApiRegistry } from './handlers/registry.js';
import { clientQuotasOf } from './handlers/quotas/state.js';
import { charge, chargeFetch, fetchBudget, hold } from '../security/quotas/index.js';
import { checkRequestPartitions } from '../security/limits/request-partitions.js';

/** `endpoint`: the advertised address of the listener this dispatcher serves (the broker's first by default). */
export function createDispatcher(core: BrokerCore, registry: ApiRegistry, endpoint: { readonly host: string; readonly port: number } = { get host() { return core.advertisedHost; }, get port() { return core.advertisedPort; } }): FrameHandler {
  const partitionLimit = core.config.int('max.request.partition.size.limit');
  /**
   * Produce without client quotas, the broker's hot path: the frame read in one pass
   * (produce-fast.ts), the answer encoded into one Buffer, no closure or promise of the
   * dispatcher's own, and a synchronous answer when the handler gives one. Anything else (quotas
   * configured, a shape the fast reader leaves to the generated codec) takes the general path.
   */
  const produce = (conn: Connection, req: ProduceFrame, handler: Handler): Buffer[] | null | Promise<Buffer[] | null> => {
    checkRequestPartitions(ApiKey.Produce, 'Produce', req.body, partitionLimit);
    const ctx: RequestContext = { broker: core, apiKey: ApiKey.Produce, apiVersion: req.apiVersion, correlationId: req.correlationId, clientId: req.clientId, remote: conn.remote, principal: conn.auth.principal, listenerName: conn.auth.listener.name, endpoint, fetchQuota: undefined };
    const result = handler(req.body, ctx) as ProduceResponse | null | Promise<ProduceResponse | null>;
    if (result instanceof Promise) return result.then(encodeProduce.bind(null, req.apiVersion, req.correlationId));
    return encodeProduce(req.apiVersion, req.correlationId, result);
  };
  return (frame: Buffer, conn: Connection) => {
    if (frame.length >= 4 && frame.readInt16BE(0) === ApiKey.Produce) {
      const served = registry.get(ApiKey.Produce);
      const version = frame.readInt16BE(2);
      if (served !== undefined && served.api === ProduceApi && version >= served.minVersion && version <= served.maxVersion && !clientQuotasOf(core).active) {
        const req = readProduceFrame(frame);
        if (req !== null) return produce(conn, req, served.handler);
      }
    }
    const req = readRequestFrame(frame);
    const served = registry.get(req.apiKey);
    if (served === undefined || req.apiVersion < served.minVersion || req.apiVersion > served.maxVersion) {
      if (req.apiKey === ApiKey.ApiVersions) return encodeApiVersionsFallback(req.correlationId, registry.versions());
      throw new UnsupportedVersionError(req.apiKey, req.apiVersion);
    }
    const body = served.api.decodeRequest(req.body, req.apiVersion);
    req.body.complete();
    checkRequestPartitions(req.apiKey, served.api.name, body, partitionLimit);
    const quotas = clientQuotasOf(core);
    const startedMs = quotas.active ? performance.now() : 0;
    // A consumer's Fetch is charged by its handler, before it answers (src/security/quotas/enforce.ts).
    let fetchThrottle = -1;
    const fetchQuota = quotas.active && req.apiKey === ApiKey.Fetch && !fromFollower(body) ? {
      maxBytes: fetchBudget(quotas, conn, conn.auth.principal, req.clientId),
      charge: (recordBytes: number, waitedMs: number) => (fetchThrottle = chargeFetch(quotas, conn, conn.auth.principal, req.clientId, performance.now() - startedMs - waitedMs, recordBytes)),
    } : undefined;
    const ctx: RequestContext = { broker: core, apiKey: req.apiKey, apiVersion: req.apiVersion, correlationId: req.correlationId, clientId: req.clientId, remote: conn.remote, principal: conn.auth.principal, listenerName: conn.auth.listener.name, endpoint, fetchQuota };
    const result = served.handler(body, ctx);
    // The handler's synchronous part on the event loop; a Produce with acks 0 or 1 is charged up
    // to its answer (what it awaits is the worker pool's work on its batches), see enforce.ts.
    const syncMs = quotas.active ? performance.now() - startedMs : 0;
    const chargedToAnswer = req.apiKey === ApiKey.Produce && (body as { acks?: number }).acks !== -1;
    const respond = (res: unknown) => {
      // Quotas (KIP-219): the answer carries throttle_time_ms and the connection is muted meanwhile.
      let throttle = 0;
      if (fetchThrottle >= 0) throttle = fetchThrottle;
      else if (quotas.active) {
        const handledMs = chargedToAnswer ? performance.now() - startedMs : syncMs;
        throttle = charge(quotas, conn, { apiKey: req.apiKey, apiVersion: req.apiVersion, principal: ctx.principal, clientId: req.clientId, requestBytes: frame.length, request: body, handledMs }, res);
      }
      const encoded = res === null ? null : served.api === ProduceApi ? encodeProduce(req.apiVersion, req.correlationId, res as ProduceResponse) : encodeResponseFrame(served.api, req.apiVersion, req.correlationId, res);
      return throttle === 0 ? encoded : hold(conn, req.apiKey, req.apiVersion, throttle, encoded);
    };
    return result instanceof Promise ? result.then(respond) : respond(result);
  };
}

/** A Produce answer: one Buffer in the common shape, else the generated encoder's chunks. */
function encodeProduce(version: number, correlationId: number, res: ProduceResponse | null): Buffer[] | null {
  if (res === null) return null;
  return encodeProduceResponseFrame(version, correlationId, res) ?? encodeResponseFrame(ProduceApi, version, correlationId, res);
}

/** A follower's Fetch (replica_id, or replica_state from v15): exempt from client quotas. */
function fromFollower(body: unknown): boolean {
  const f = body as { replicaId?: number; replicaState?: { replicaId?: number } | null };
  return Math.max(f.replicaId ?? -1, f.replicaState?.replicaId ?? -1) >= 0;
}
