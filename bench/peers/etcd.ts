/** A throwaway etcd (Debian `etcd-server`) on loopback, for the cluster benchmark's metadata. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type Server, startBinary, which } from './procs.js';

export async function startEtcd(): Promise<Server> {
  if (which('etcd') === null) throw new Error('etcd is not installed: apt-get install -y etcd-server');
  const dir = mkdtempSync(join(tmpdir(), 'strand-bench-etcd-'));
  const client = await freePort();
  const peer = await freePort();
  const server = await startBinary('etcd', [
    '--name', 'bench', '--data-dir', dir,
    '--listen-client-urls', `http://127.0.0.1:${client}`, '--advertise-client-urls', `http://127.0.0.1:${client}`,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `bench=http://127.0.0.1:${peer}`, '--log-level', 'error',
  ], '127.0.0.1', client);
  const stop = server.stop;
  return {
    ...server,
    async stop(signal) {
      await stop(signal);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
