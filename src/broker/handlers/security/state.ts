/** The broker's security state the security handlers need, by broker (set when it listens). */
import type { ScramCredentials } from '../../../security/index.js';
import type { BrokerCore } from '../../context.js';

const credentials = new WeakMap<BrokerCore, ScramCredentials>();

export function setScramCredentials(core: BrokerCore, store: ScramCredentials): void {
  credentials.set(core, store);
}

export function scramCredentialsOf(core: BrokerCore): ScramCredentials | undefined {
  return credentials.get(core);
}
