/**
 * The security layer's face to the broker: `prepareSecurity(config)` reads and checks every
 * listener and security setting before anything is opened or bound, and fails closed with a
 * SecurityConfigError naming what cannot be honoured.
 */
import { SecurityConfigError } from './errors.js';
import { type ListenerSpec, resolveListeners, usesSasl, usesTls } from './listeners.js';
import { checkSecurityKeys, type SettingsSource } from './settings.js';
import { prepareTls, type TlsSetup } from './tls.js';

export { SecurityConfigError, SaslAuthenticationError } from './errors.js';
export { ConnectionAuth, ANONYMOUS, type ListenerInfo } from './connection-auth.js';
export type { ListenerSpec, SecurityProtocol } from './listeners.js';
export { createListenerServer, type ListenerServer } from './server.js';

/** One listener, ready to serve. */
export interface PreparedListener {
  readonly spec: ListenerSpec;
  /** TLS of SSL and SASL_SSL listeners. */
  readonly tls: TlsSetup | null;
}

export interface PreparedSecurity {
  readonly listeners: readonly PreparedListener[];
  readonly interBrokerListener: string;
}

export function prepareSecurity(src: SettingsSource): PreparedSecurity {
  const layout = resolveListeners(src);
  checkSecurityKeys(src, layout.listeners.map((l) => l.name));
  const listeners = layout.listeners.map((spec): PreparedListener => {
    if (usesSasl(spec.securityProtocol)) {
      throw new SecurityConfigError(`refusing to start: listener ${spec.name}://${spec.host}:${spec.port} uses security protocol ${spec.securityProtocol}, which strand cannot serve yet`);
    }
    const tls = usesTls(spec.securityProtocol) ? prepareTls(src, spec.name, spec.securityProtocol) : null;
    return { spec, tls };
  });
  return { listeners, interBrokerListener: layout.interBrokerListener };
}
