/**
 * A throwaway CA and certificates made with the openssl CLI, for the TLS tests and the TLS
 * benchmark rows: a server certificate for 127.0.0.1/localhost, client certificates signed by the
 * CA, one signed by another CA, and one that expired in 2020. Keys are P-256 (fast to make).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caCert: string;
  /** Server key and chain in one PEM file (ssl.keystore.type=PEM, ssl.keystore.location). */
  serverPem: string;
  serverKey: string;
  serverCert: string;
  /** The server key encrypted with the password `key-pass` (PKCS#8), followed by its certificate. */
  serverEncryptedPem: string;
  /** The server key and certificate as PKCS12, password `store-pass`. */
  serverP12: string;
  /** A second server key/cert (for reload) with subject CN=strand-2. */
  server2Pem: string;
  client: { key: string; cert: string; subject: string };
  untrustedClient: { key: string; cert: string };
  expiredClient: { key: string; cert: string };
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function selfSigned(dir: string, name: string, subject: string): void {
  openssl(['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '3650', '-subj', subject, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
}

function signed(dir: string, name: string, ca: string, subject: string, ext: string[] = []): void {
  openssl(['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject, ...ext], dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '365', '-out', `${name}.crt`, '-copy_extensions', 'copy'], dir);
}

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'strand-pki-'));
  selfSigned(dir, 'ca', '/CN=strand-test-ca');
  selfSigned(dir, 'other-ca', '/CN=other-ca');
  const san = ['-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'];
  signed(dir, 'server', 'ca', '/CN=strand', san);
  signed(dir, 'server2', 'ca', '/CN=strand-2', san);
  signed(dir, 'client', 'ca', '/C=US/O=Strand/OU=Clients/CN=alice');
  signed(dir, 'untrusted', 'other-ca', '/CN=mallory');
  // An expired client certificate: openssl ca takes explicit validity dates.
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(join(dir, 'ca.cnf'), `[ca]\ndefault_ca=d\n[d]\ndir=${dir}\ndatabase=${dir}/index.txt\nnew_certs_dir=${dir}\nserial=${dir}/serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n`);
  openssl(['req', ...EC, '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=old'], dir);
  openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', 'expired.csr', '-out', 'expired.crt', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-notext'], dir);
  const p = (f: string) => join(dir, f);
  writeFileSync(p('server.pem'), readFileSync(p('server.key'), 'utf8') + readFileSync(p('server.crt'), 'utf8'));
  writeFileSync(p('server2.pem'), readFileSync(p('server2.key'), 'utf8') + readFileSync(p('server2.crt'), 'utf8'));
  openssl(['pkcs8', '-topk8', '-in', 'server.key', '-out', 'server-enc.key', '-v2', 'aes-256-cbc', '-passout', 'pass:key-pass'], dir);
  writeFileSync(p('server-enc.pem'), readFileSync(p('server-enc.key'), 'utf8') + readFileSync(p('server.crt'), 'utf8'));
  openssl(['pkcs12', '-export', '-inkey', 'server.key', '-in', 'server.crt', '-out', 'server.p12', '-passout', 'pass:store-pass'], dir);
  return {
    dir,
    caCert: p('ca.crt'),
    serverPem: p('server.pem'),
    serverEncryptedPem: p('server-enc.pem'),
    serverP12: p('server.p12'),
    serverKey: p('server.key'),
    serverCert: p('server.crt'),
    server2Pem: p('server2.pem'),
    client: { key: p('client.key'), cert: p('client.crt'), subject: 'CN=alice,OU=Clients,O=Strand,C=US' },
    untrustedClient: { key: p('untrusted.key'), cert: p('untrusted.crt') },
    expiredClient: { key: p('expired.key'), cert: p('expired.crt') },
  };
}
