/**
 * Authentication on the admin HTTP listener, through the principals of the Kafka listeners
 * (`http.authentication.method`, see settings.ts): a fastify `onRequest` hook on the root
 * instance, so it runs before every route of every HTTP layer (console, metrics, REST Proxy,
 * Schema Registry). It sets `request.principal` (`User:<name>`; `User:ANONYMOUS` with method
 * NONE) and answers 401 with a `WWW-Authenticate` challenge when no valid credential is given.
 * Authorization is per action (access.ts: `authorizeHttp(request, broker, op, type, name)`),
 * 403 when refused. `/health` and `/ready` are always open (orchestrators probe them without
 * credentials); `/metrics` too when `http.metrics.authentication.enable=false`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { scramCredentialsOf } from '../../broker/handlers/security/state.js';
import { ConfigError } from '../../broker/config.js';
import { ANONYMOUS } from '../../security/connection-auth.js';
import { mapPrincipal, subjectDn } from '../../security/principal.js';
import type { SettingsSource } from '../../security/settings.js';
import type { TlsSetup } from '../../security/tls.js';
import type { HttpBroker } from '../server.js';
import { BasicVerifier, parseBasic, plainUsersOf } from './basic.js';
import { type BearerVerifier, parseBearer, prepareBearer } from './bearer.js';
import { type HttpAuthSettings, readHttpAuthSettings } from './settings.js';

export { authorizeHttp, forbidden } from './access.js';
export type { HttpAuthSettings } from './settings.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request: `User:<name>`, or `User:ANONYMOUS` when the listener asks for no authentication. */
    principal: string;
  }
  interface FastifyInstance {
    httpAuth: HttpAuthSettings;
  }
}

const REALM = 'strand';
const ALWAYS_OPEN: ReadonlySet<string> = new Set(['/health', '/ready']);

type Outcome = { principal: string } | { status: 401 | 503; challenge: string | null; message: string };

export interface HttpAuth {
  readonly settings: HttpAuthSettings;
  /** Add the decorations and the hook to the root app (before any plugin is registered). */
  install(app: FastifyInstance, broker: () => HttpBroker | null): void;
  close(): void;
}

/** Read and check the settings; `tls` is the https listeners' TLS (null without one). */
export function prepareHttpAuth(src: SettingsSource | undefined, tls: TlsSetup | null): HttpAuth {
  const settings = readHttpAuthSettings(src);
  let basic: BasicVerifier | null = null;
  let bearer: BearerVerifier | null = null;
  if (settings.method === 'BASIC') basic = new BasicVerifier(plainUsersOf(src!));
  if (settings.method === 'BEARER') bearer = prepareBearer(src!);
  if (settings.method === 'MTLS' && (tls === null || tls.clientAuth === 'none')) {
    throw new ConfigError('http.authentication.method=MTLS needs an https:// listener in http.listeners that asks for client certificates (http.ssl.client.auth=required or requested, http.ssl.truststore.location)');
  }
  // As a Kafka listener delays the answer to a failed authentication (KIP-306), to slow guessing.
  const failDelayRaw = src?.raw('connection.failed.authentication.delay.ms') ?? '100';
  if (!/^\d+$/.test(failDelayRaw)) throw new ConfigError(`connection.failed.authentication.delay.ms=${failDelayRaw} is invalid: expected a non-negative integer`);
  const failDelayMs = Number(failDelayRaw);
  const open = new Set(ALWAYS_OPEN);
  if (!settings.metricsProtected) open.add('/metrics');

  const authenticate = async (req: FastifyRequest, broker: HttpBroker | null): Promise<Outcome> => {
    const header = req.headers.authorization;
    if (settings.method === 'BASIC') {
      const challenge = `Basic realm="${REALM}", charset="UTF-8"`;
      if (header === undefined) return { status: 401, challenge, message: 'authentication required: HTTP Basic with a SCRAM or PLAIN user of the broker' };
      const creds = parseBasic(header);
      if (creds === null) return { status: 401, challenge, message: 'malformed Basic credentials' };
      const scram = broker === null ? null : scramCredentialsOf(broker) ?? null;
      if (await basic!.verify(creds.user, creds.password, scram)) return { principal: `User:${creds.user}` };
      // Before the broker is up its SCRAM users cannot be checked yet: not a refusal.
      if (broker === null) return { status: 503, challenge: null, message: 'the broker is starting: its SCRAM users are not loaded yet' };
      await delay(failDelayMs);
      return { status: 401, challenge, message: 'Authentication failed: Invalid username or password' };
    }
    if (settings.method === 'BEARER') {
      if (header === undefined) return { status: 401, challenge: `Bearer realm="${REALM}"`, message: 'authentication required: a bearer token (JWT) the broker\'s OAUTHBEARER listener accepts' };
      const token = parseBearer(header);
      const subject = token === null ? null : await bearer!.verify(token);
      // RFC 6750 section 3.1: a token that is malformed, expired or not signed by a known key.
      if (subject === null) await delay(failDelayMs);
      if (subject === null) return { status: 401, challenge: `Bearer realm="${REALM}", error="invalid_token"`, message: 'Authentication failed: the bearer token is invalid' };
      return { principal: `User:${subject}` };
    }
    // MTLS. No registered HTTP authentication scheme names client certificates; the challenge says what is expected.
    const challenge = `Certificate realm="${REALM}"`;
    const socket = req.raw.socket as TLSSocket;
    if (socket.encrypted !== true) return { status: 401, challenge, message: 'authentication required: a client certificate, on an https listener' };
    const cert = socket.getPeerX509Certificate();
    if (cert === undefined) return { status: 401, challenge, message: 'authentication required: a client certificate signed by a CA of http.ssl.truststore.location' };
    if (!socket.authorized) return { status: 401, challenge, message: `the client certificate is not accepted: ${String(socket.authorizationError)}` };
    const name = mapPrincipal(tls!.mappingRules, subjectDn(cert));
    if (name === null) return { status: 401, challenge, message: 'no http.ssl.principal.mapping.rules rule applies to the client certificate' };
    return { principal: `User:${name}` };
  };

  return {
    settings,
    install(app, broker) {
      app.decorate('httpAuth', settings);
      app.decorateRequest('principal', ANONYMOUS);
      if (settings.method === 'NONE') return;
      app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        if (open.has(req.url.split('?')[0]!)) return;
        const outcome = await authenticate(req, broker());
        if ('principal' in outcome) {
          req.principal = outcome.principal;
          return;
        }
        if (outcome.challenge !== null) void reply.header('www-authenticate', outcome.challenge);
        await reply.code(outcome.status).send({ error_code: outcome.status, message: outcome.message });
      });
    },
    close: () => bearer?.close(),
  };
}
