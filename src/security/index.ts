/**
 * The security layer's face to the broker: `prepareSecurity(config)` reads and checks every
 * listener and security setting before anything is opened or bound, and fails closed with a
 * SecurityConfigError naming what cannot be honoured.
 */
import { type ListenerSpec, resolveListeners, usesSasl, usesTls } from './listeners.js';
import { checkSecurityKeys, type SettingsSource } from './settings.js';
import { prepareTls, type TlsSetup } from './tls.js';
import { type ListenerSasl, prepareListenerSasl } from './sasl/listener-sasl.js';
import { ScramCredentials } from './scram-store.js';

export { SecurityConfigError, SaslAuthenticationError } from './errors.js';
export { ConnectionAuth, ANONYMOUS, type ListenerInfo } from './connection-auth.js';
export type { ListenerSpec, SecurityProtocol } from './listeners.js';
export { createListenerServer, type ListenerServer } from './server.js';
export { ScramCredentials, SCRAM_CREDENTIALS_FILE } from './scram-store.js';
export { SaslSession } from './sasl/session.js';
export type { ListenerSasl } from './sasl/listener-sasl.js';

/** One listener, ready to serve. */
export interface PreparedListener {
  readonly spec: ListenerSpec;
  /** TLS of SSL and SASL_SSL listeners. */
  readonly tls: TlsSetup | null;
  /** SASL of SASL_PLAINTEXT and SASL_SSL listeners. */
  readonly sasl: ListenerSasl | null;
}

export interface PreparedSecurity {
  readonly listeners: readonly PreparedListener[];
  readonly interBrokerListener: string;
  /** The broker's SCRAM credentials (`__strand_metadata/scram-credentials`). */
  readonly credentials: ScramCredentials;
}

export function prepareSecurity(src: SettingsSource, dataDir: string): PreparedSecurity {
  const layout = resolveListeners(src);
  checkSecurityKeys(src, layout.listeners.map((l) => l.name));
  const credentials = new ScramCredentials(dataDir);
  const listeners: PreparedListener[] = [];
  try {
    for (const spec of layout.listeners) {
      const tls = usesTls(spec.securityProtocol) ? prepareTls(src, spec.name, spec.securityProtocol) : null;
      const sasl = usesSasl(spec.securityProtocol) ? prepareListenerSasl(src, spec.name, credentials) : null;
      listeners.push({ spec, tls, sasl });
    }
  } catch (err) {
    for (const l of listeners) l.sasl?.close(); // key set watchers of the listeners prepared before
    throw err;
  }
  return { listeners, interBrokerListener: layout.interBrokerListener, credentials };
}
