/**
 * Controller election: a broker becomes the controller by creating the `controller` key bound to
 * its session lease, in a transaction that succeeds only if the key does not exist
 * (create revision 0) and `controller_epoch` is unchanged since it was read; the same
 * transaction bumps the epoch. When the controller's session ends, etcd deletes the key with the
 * lease and the next campaign wins.
 *
 * A term is fenced by the controller key's create revision: every controller write compares it,
 * so once another broker has been elected (a new key, a new create revision), a deposed
 * controller's writes fail inside etcd, whatever the deposed process believes.
 */
import type { Etcd3, IKeyValue } from 'etcd3';
import { NotControllerError } from './errors.js';
import type { ClusterKeys } from './keys.js';

export interface TermOp {
  key: string;
  /** The mod revision the key must still have (0: the key must not exist). */
  expectModRevision: number;
  /** New value; undefined deletes the key. */
  value?: string;
}

export type TermCommit = { ok: true; revision: number } | { ok: false };

export class ControllerTerm {
  constructor(
    private readonly client: Etcd3,
    private readonly keys: ClusterKeys,
    readonly nodeId: number,
    readonly epoch: number,
    /** The controller key's create revision: the fence. */
    readonly createRevision: number,
  ) {}

  /**
   * Writes `ops` atomically if this term is still the elected one and every key still has its
   * expected mod revision. Throws NotControllerError when the term was superseded; returns
   * `{ ok: false }` when only the keys moved on (the caller re-reads and decides again).
   */
  async commit(ops: TermOp[], what: string): Promise<TermCommit> {
    let txn = this.client.if(this.keys.controller, 'Create', '==', this.createRevision);
    for (const op of ops) txn = txn.and(op.key, 'Mod', '==', op.expectModRevision);
    const res = await txn
      .then(...ops.map((op) => (op.value === undefined ? this.client.delete().key(op.key) : this.client.put(op.key).value(op.value))))
      .else(this.client.get(this.keys.controller))
      .commit();
    if (res.succeeded) return { ok: true, revision: Number(res.header.revision) };
    const current = res.responses[0]?.response_range?.kvs[0] as IKeyValue | undefined;
    if (!current || Number(current.create_revision) !== this.createRevision) throw new NotControllerError(this.nodeId, this.epoch, what);
    return { ok: false };
  }
}

/** One campaign: the new term if this broker won, null if a controller exists. */
export async function campaign(client: Etcd3, keys: ClusterKeys, nodeId: number, leaseId: string): Promise<ControllerTerm | null> {
  const epochKv = (await client.get(keys.controllerEpoch).exec().then((r) => r.kvs[0])) as IKeyValue | undefined;
  const last = epochKv ? Number(epochKv.value.toString()) : 0;
  const epoch = last + 1;
  const res = await client
    .if(keys.controller, 'Create', '==', 0)
    .and(keys.controllerEpoch, 'Mod', '==', epochKv ? Number(epochKv.mod_revision) : 0)
    .then(client.put(keys.controller).value(JSON.stringify({ nodeId, epoch })).lease(leaseId), client.put(keys.controllerEpoch).value(String(epoch)))
    .commit();
  if (!res.succeeded) return null;
  // The controller key was created by this transaction, so its create revision is the transaction's.
  return new ControllerTerm(client, keys, nodeId, epoch, Number(res.header.revision));
}
