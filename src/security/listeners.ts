/**
 * Named listeners as Kafka configures them: `listeners` (NAME://host:port, one port each),
 * `listener.security.protocol.map` (NAME:PROTOCOL), `advertised.listeners` (a subset of the
 * names, with the address clients are told), and the inter-broker listener
 * (`inter.broker.listener.name`, or `security.inter.broker.protocol` naming a protocol whose
 * name is the listener's). The checks and their messages follow Kafka's KafkaConfig.
 */
import { SecurityConfigError } from './errors.js';
import { type SettingsSource, setting } from './settings.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

const PROTOCOLS: ReadonlySet<string> = new Set(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL']);

export interface Endpoint {
  host: string;
  port: number;
}

export interface ListenerSpec extends Endpoint {
  /** Upper case, as Kafka normalises listener names. */
  readonly name: string;
  readonly securityProtocol: SecurityProtocol;
  /** What clients of this listener are told (advertised.listeners, else the bound address). */
  readonly advertised: Endpoint | null;
}

export interface ListenerLayout {
  readonly listeners: readonly ListenerSpec[];
  /** The listener brokers use among themselves. */
  readonly interBrokerListener: string;
}

export const usesTls = (p: SecurityProtocol) => p === 'SSL' || p === 'SASL_SSL';
export const usesSasl = (p: SecurityProtocol) => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

function parseEndpoint(spec: string, key: string): { name: string } & Endpoint {
  const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(spec.trim());
  if (m === null) throw new SecurityConfigError(`${key}: ${JSON.stringify(spec)} is not NAME://host:port, e.g. PLAINTEXT://127.0.0.1:9092`);
  const port = Number(m[3]);
  if (port > 65535) throw new SecurityConfigError(`${key}: ${spec}: port ${port} is above 65535`);
  return { name: m[1]!.toUpperCase(), host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

function list(v: string | undefined): string[] {
  return (v ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** `listener.security.protocol.map`, checked. */
export function protocolMap(src: SettingsSource): Map<string, SecurityProtocol> {
  const out = new Map<string, SecurityProtocol>();
  for (const entry of list(setting(src, 'listener.security.protocol.map'))) {
    const m = /^([A-Za-z0-9_]+):([A-Za-z_]+)$/.exec(entry);
    if (m === null) throw new SecurityConfigError(`listener.security.protocol.map: ${JSON.stringify(entry)} is not LISTENER_NAME:SECURITY_PROTOCOL`);
    const protocol = m[2]!.toUpperCase();
    if (!PROTOCOLS.has(protocol)) throw new SecurityConfigError(`listener.security.protocol.map: ${entry}: unknown security protocol ${m[2]} (Kafka's are PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)`);
    const name = m[1]!.toUpperCase();
    if (out.has(name)) throw new SecurityConfigError(`listener.security.protocol.map: listener ${name} is mapped twice`);
    out.set(name, protocol as SecurityProtocol);
  }
  return out;
}

/** Read and check the listener settings (throws SecurityConfigError naming the setting). */
export function resolveListeners(src: SettingsSource): ListenerLayout {
  const map = protocolMap(src);
  const bound = list(src.raw('listeners') ?? 'PLAINTEXT://127.0.0.1:9092').map((s) => parseEndpoint(s, 'listeners'));
  if (bound.length === 0) throw new SecurityConfigError('listeners is empty: give at least one NAME://host:port');
  const names = new Set<string>();
  const ports = new Set<number>();
  for (const l of bound) {
    if (names.has(l.name)) throw new SecurityConfigError(`listeners: each listener must have a different name, ${l.name} appears twice`);
    if (l.port !== 0 && ports.has(l.port)) throw new SecurityConfigError(`listeners: each listener must have a different port, ${l.port} appears twice`);
    names.add(l.name);
    ports.add(l.port);
    if (!map.has(l.name)) throw new SecurityConfigError(`listeners: no security protocol defined for listener ${l.name} in listener.security.protocol.map (${setting(src, 'listener.security.protocol.map')})`);
  }
  const advertised = new Map<string, Endpoint>();
  const advSpec = src.raw('advertised.listeners');
  for (const a of list(advSpec).map((s) => parseEndpoint(s, 'advertised.listeners'))) {
    if (!names.has(a.name)) throw new SecurityConfigError(`advertised.listeners: listener ${a.name} is not one of listeners (${[...names].join(', ')})`);
    if (advertised.has(a.name)) throw new SecurityConfigError(`advertised.listeners: listener ${a.name} appears twice`);
    advertised.set(a.name, { host: a.host, port: a.port });
  }
  const listeners = bound.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: map.get(l.name)!, advertised: advSpec === undefined ? null : advertised.get(l.name) ?? null }));
  // With advertised.listeners given, Kafka advertises only those; a listener left out is still bound.
  const ibName = src.raw('inter.broker.listener.name');
  const ibProtocol = src.raw('security.inter.broker.protocol');
  if (ibName !== undefined && ibProtocol !== undefined) throw new SecurityConfigError('Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.');
  let interBrokerListener: string;
  if (ibName !== undefined) {
    interBrokerListener = ibName.toUpperCase();
    const advertisedNames = advSpec === undefined ? names : new Set(advertised.keys());
    if (!advertisedNames.has(interBrokerListener)) throw new SecurityConfigError(`inter.broker.listener.name=${ibName} must be a listener name defined in advertised.listeners (${[...advertisedNames].join(', ')})`);
  } else if (ibProtocol !== undefined) {
    interBrokerListener = ibProtocol.toUpperCase();
    if (!PROTOCOLS.has(interBrokerListener)) throw new SecurityConfigError(`security.inter.broker.protocol=${ibProtocol} is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL`);
    if (!names.has(interBrokerListener)) throw new SecurityConfigError(`security.inter.broker.protocol=${ibProtocol}: no listener is named ${interBrokerListener}`);
  } else {
    // Kafka requires a PLAINTEXT listener by default; a single broker has no inter-broker
    // traffic, so strand uses the PLAINTEXT listener if any, else the first.
    interBrokerListener = names.has('PLAINTEXT') ? 'PLAINTEXT' : bound[0]!.name;
  }
  return { listeners, interBrokerListener };
}
