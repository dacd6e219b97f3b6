/** A TLS connection that sends one ApiVersions request and says whether the broker answered. */
import { connect, type ConnectionOptions } from 'node:tls';
import { encodeRequestFrame } from '../../src/protocol/frame.js';
import { ApiVersionsApi } from '../../src/protocol/messages/index.js';

export interface TlsProbe {
  answered: boolean;
  /** Subject CN of the certificate the broker presented. */
  serverCn: string | null;
}

export function probeTls(port: number, options: ConnectionOptions): Promise<TlsProbe> {
  return new Promise((resolve) => {
    let serverCn: string | null = null;
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => {
      serverCn = socket.getPeerX509Certificate()?.subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3) ?? null;
      for (const b of encodeRequestFrame(ApiVersionsApi, 0, 1, 'probe', {})) socket.write(b);
    });
    let got = Buffer.alloc(0);
    const done = (answered: boolean) => {
      socket.destroy();
      resolve({ answered, serverCn });
    };
    socket.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) done(true);
    });
    socket.on('error', () => done(false));
    socket.on('close', () => done(false));
    socket.setTimeout(5000, () => done(false));
  });
}
