/** The etcd client as the cluster layer uses it: no circuit breaker, a deadline on every unary call. */
import { ExponentialBackoff, type IBackoff, noop } from 'cockatiel';
import { Etcd3, type IKeyValue, type IRangeResponse } from 'etcd3';

/** Unary calls give up after this long, so a paused or unreachable etcd surfaces as an error, not a hang. */
export const ETCD_CALL_TIMEOUT_MS = 3000;

export function connectEtcd(endpoints: string[]): Etcd3 {
  return new Etcd3({
    hosts: endpoints.map((e) => `http://${e}`),
    // etcd3's default opens a circuit breaker for 5 s after three failures, which would hold a
    // failover back for longer than the session timeout once etcd is back; callers here retry.
    // The watch reconnects within a second of etcd's return (the default backs off to 30 s).
    faultHandling: { host: () => noop, watchBackoff: watchBackoff() },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + ETCD_CALL_TIMEOUT_MS }),
    dialTimeout: ETCD_CALL_TIMEOUT_MS,
  });
}

/** Everything under a prefix, with the revision the read saw. */
export async function readPrefix(client: Etcd3, prefix: string): Promise<{ revision: number; kvs: IKeyValue[] }> {
  const res: IRangeResponse = await client.getAll().prefix(prefix).exec();
  return { revision: Number(res.header.revision), kvs: res.kvs };
}

export const keyOf = (kv: IKeyValue): string => kv.key.toString('utf8');

/** etcd3 declares an IBackoff but calls `.next()` on it first, as on its own default, a factory. */
function watchBackoff(): IBackoff<unknown> {
  return new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }) as unknown as IBackoff<unknown>;
}
