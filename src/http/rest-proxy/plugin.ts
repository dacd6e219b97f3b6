/** The REST Proxy on the broker's admin HTTP listener, at the root as Confluent serves it (`/topics`, `/consumers`, `/v3/clusters`, ...). */
import { plaintextBootstrap, registryUrlOf } from '../schema-registry/plugin.js';
import type { HttpPlugin } from '../server.js';
import { restProxy } from './index.js';

export const restProxyPlugin: HttpPlugin = {
  name: 'rest-proxy',
  plugin: async (app, { broker }) => {
    await restProxy(app, {
      bootstrap: () => plaintextBootstrap(broker()),
      registryUrl: () => registryUrlOf(broker()),
      warn: (msg, err) => broker().logger.warn({ err }, msg),
    });
  },
};
