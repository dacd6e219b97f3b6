/**
 * TLS for one listener from Kafka's `ssl.*` settings (per listener with `listener.name.<name>.`):
 * keystores of type PEM (`ssl.keystore.location` holding the key and its certificate chain, or
 * `ssl.keystore.key` + `ssl.keystore.certificate.chain` inline) or PKCS12, truststores of type
 * PEM (`ssl.truststore.location` or `ssl.truststore.certificates`), `ssl.client.auth`,
 * `ssl.enabled.protocols`, `ssl.cipher.suites` (Kafka's IANA names, or OpenSSL's). JKS is
 * Java's own format and is refused with a message saying to use PEM or PKCS12.
 *
 * Reload: the key, certificate and trust files are polled, and when one changes the server's
 * secure context is rebuilt, so new connections use the new files and established ones keep
 * theirs (Kafka reloads on a dynamic config update of the listener; files are what operators
 * rotate). A file caught half-written fails to build and the old context stays.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createSecureContext, type SecureVersion, type TlsOptions } from 'node:tls';
import { SecurityConfigError } from './errors.js';
import { parseMappingRules } from './principal.js';
import { listenerSetting, type SettingsSource } from './settings.js';
import type { SecurityProtocol } from './listeners.js';

export type ClientAuth = 'none' | 'requested' | 'required';

export interface TlsSetup {
  /** Options of `tls.createServer` (and of `setSecureContext` on reload). */
  options(): TlsOptions;
  readonly clientAuth: ClientAuth;
  readonly mappingRules: ReturnType<typeof parseMappingRules>;
  /** Files whose change rebuilds the context. */
  readonly files: readonly string[];
}

const VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * IANA (Java) names of the TLS 1.2 suites OpenSSL serves, by their OpenSSL names. TLS 1.3 suites
 * have the same names in both. A name in neither table is refused.
 */
const IANA_TO_OPENSSL: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: 'DHE-RSA-AES128-GCM-SHA256',
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: 'DHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: 'ECDHE-ECDSA-AES256-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: 'ECDHE-RSA-AES256-SHA384',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
};
const TLS13_SUITES: ReadonlySet<string> = new Set(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256']);

function read(path: string, key: string, listener: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SecurityConfigError(`${key}=${path} (listener ${listener}): cannot read it: ${(err as Error).message}`);
  }
}

/** Build the TLS setup of `listener`; throws SecurityConfigError naming the setting that cannot be honoured. */
export function prepareTls(src: SettingsSource, listener: string, protocol: SecurityProtocol): TlsSetup {
  const get = (key: string) => listenerSetting(src, listener, key);
  const where = `(listener ${listener})`;
  const files: string[] = [];

  const ksType = (get('ssl.keystore.type') ?? 'JKS').toUpperCase();
  const ksLocation = get('ssl.keystore.location');
  const ksKey = get('ssl.keystore.key');
  const ksChain = get('ssl.keystore.certificate.chain');
  const keyPassword = get('ssl.key.password');
  const ksPassword = get('ssl.keystore.password');
  if (ksLocation === undefined && ksKey === undefined) throw new SecurityConfigError(`listener ${listener} uses ${protocol} but has no key: set ssl.keystore.type=PEM and ssl.keystore.location (or ssl.keystore.key and ssl.keystore.certificate.chain), or listener.name.${listener.toLowerCase()}.ssl.* for this listener`);
  if (ksLocation !== undefined && ksKey !== undefined) throw new SecurityConfigError(`ssl.keystore.location and ssl.keystore.key ${where} are both set; set one`);
  if (ksType === 'JKS') throw new SecurityConfigError(`ssl.keystore.type=JKS ${where} (Kafka's default): strand cannot read Java keystores; set ssl.keystore.type=PEM (or PKCS12)`);
  if (ksType !== 'PEM' && ksType !== 'PKCS12') throw new SecurityConfigError(`ssl.keystore.type=${ksType} ${where}: strand reads PEM and PKCS12 keystores`);
  if (ksKey !== undefined && ksType !== 'PEM') throw new SecurityConfigError(`ssl.keystore.key ${where} needs ssl.keystore.type=PEM`);
  if (ksKey !== undefined && ksChain === undefined) throw new SecurityConfigError(`ssl.keystore.key ${where} is set without ssl.keystore.certificate.chain`);

  const tsType = (get('ssl.truststore.type') ?? 'JKS').toUpperCase();
  const tsLocation = get('ssl.truststore.location');
  const tsCerts = get('ssl.truststore.certificates');
  if (tsLocation !== undefined || tsCerts !== undefined) {
    if (tsType === 'JKS') throw new SecurityConfigError(`ssl.truststore.type=JKS ${where} (Kafka's default): strand cannot read Java keystores; set ssl.truststore.type=PEM`);
    if (tsType !== 'PEM') throw new SecurityConfigError(`ssl.truststore.type=${tsType} ${where}: strand reads PEM truststores`);
    if (tsLocation !== undefined && tsCerts !== undefined) throw new SecurityConfigError(`ssl.truststore.location and ssl.truststore.certificates ${where} are both set; set one`);
  }

  // Kafka applies ssl.client.auth to SASL_SSL listeners only when set with the listener prefix (KIP-684).
  const clientAuthRaw = protocol === 'SASL_SSL' ? src.raw(`listener.name.${listener.toLowerCase()}.ssl.client.auth`) ?? 'none' : get('ssl.client.auth') ?? 'none';
  const clientAuth = clientAuthRaw.toLowerCase();
  if (clientAuth !== 'none' && clientAuth !== 'requested' && clientAuth !== 'required') throw new SecurityConfigError(`ssl.client.auth=${clientAuthRaw} ${where}: expected none, requested or required`);

  const enabled = (get('ssl.enabled.protocols') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const p of enabled) if (!VERSIONS.includes(p as SecureVersion)) throw new SecurityConfigError(`ssl.enabled.protocols ${where}: unknown protocol ${p} (strand knows ${VERSIONS.join(', ')})`);
  const indexes = enabled.map((p) => VERSIONS.indexOf(p as SecureVersion)).sort();
  if (indexes.length === 0) throw new SecurityConfigError(`ssl.enabled.protocols ${where} is empty`);
  if (indexes.at(-1)! - indexes[0]! + 1 !== indexes.length) throw new SecurityConfigError(`ssl.enabled.protocols=${enabled.join(',')} ${where}: OpenSSL serves a contiguous range of versions; list every version between the lowest and the highest`);
  const protocolSetting = get('ssl.protocol') ?? 'TLSv1.3';
  if (protocolSetting !== 'TLS' && !VERSIONS.includes(protocolSetting as SecureVersion)) throw new SecurityConfigError(`ssl.protocol=${protocolSetting} ${where}: expected TLS or one of ${VERSIONS.join(', ')}`);

  let ciphers: string | undefined;
  const suites = (get('ssl.cipher.suites') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (suites.length > 0) {
    ciphers = suites.map((s) => {
      if (TLS13_SUITES.has(s)) return s;
      const o = IANA_TO_OPENSSL[s];
      if (o !== undefined) return o;
      if (/^[A-Z0-9]+(-[A-Z0-9]+)+$/.test(s)) return s; // an OpenSSL name
      throw new SecurityConfigError(`ssl.cipher.suites ${where}: unknown cipher suite ${s}`);
    }).join(':');
  }

  const mappingRules = parseMappingRules(get('ssl.principal.mapping.rules') ?? 'DEFAULT');
  if (ksLocation !== undefined) files.push(ksLocation);
  if (tsLocation !== undefined) files.push(tsLocation);

  const options = (): TlsOptions => {
    const o: TlsOptions = {
      minVersion: VERSIONS[indexes[0]!],
      maxVersion: VERSIONS[indexes.at(-1)!],
      requestCert: clientAuth !== 'none',
      // With `requested`, a client without a certificate is served as ANONYMOUS; one with a
      // certificate the truststore does not accept is refused after the handshake (as Java's wantClientAuth).
      rejectUnauthorized: clientAuth === 'required',
    };
    if (ciphers !== undefined) o.ciphers = ciphers;
    if (ksType === 'PKCS12') {
      o.pfx = read(ksLocation!, 'ssl.keystore.location', listener);
      if (ksPassword !== undefined) o.passphrase = ksPassword;
    } else {
      const pem = ksLocation !== undefined ? read(ksLocation, 'ssl.keystore.location', listener) : Buffer.from(ksKey!);
      o.key = pem;
      o.cert = ksLocation !== undefined ? pem : Buffer.from(ksChain!);
      if (keyPassword !== undefined) o.passphrase = keyPassword;
    }
    if (tsLocation !== undefined) o.ca = read(tsLocation, 'ssl.truststore.location', listener);
    else if (tsCerts !== undefined) o.ca = Buffer.from(tsCerts);
    try {
      createSecureContext(o);
    } catch (err) {
      throw new SecurityConfigError(`listener ${listener}: the TLS settings cannot be used: ${(err as Error).message}`);
    }
    return o;
  };
  options(); // fail at start, not at the first connection
  return { options, clientAuth: clientAuth as ClientAuth, mappingRules, files };
}

/** Poll `files` and call `reload` when one changes; returns the stop function. */
export function watchFiles(files: readonly string[], intervalMs: number, reload: () => void): () => void {
  const listener = (curr: { mtimeMs: number; size: number }, prev: { mtimeMs: number; size: number }) => {
    if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size) reload();
  };
  for (const f of files) watchFile(f, { persistent: false, interval: intervalMs }, listener);
  return () => {
    for (const f of files) unwatchFile(f, listener);
  };
}
