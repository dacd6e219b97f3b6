/** `GET /metrics`: the Prometheus text format (version 0.0.4), served before the broker is up too (process metrics only). */
import type { AdminHttp, HttpPlugin } from '../server.js';
import { createMetricsRegistry } from './registry.js';

export function metricsPlugin(admin: AdminHttp): HttpPlugin {
  let attached = false;
  admin.onAttach(() => {
    attached = true;
  });
  const registry = createMetricsRegistry(() => (attached ? admin.broker() : null));
  return {
    name: 'metrics',
    plugin: async (app) => {
      app.get('/metrics', async (_req, reply) => {
        const text = await registry.metrics();
        return reply.type(registry.contentType).send(text);
      });
      app.addHook('onClose', async () => registry.clear());
    },
  };
}
