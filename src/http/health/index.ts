/**
 * `/health` and `/ready` as orchestrators probe them (Kubernetes liveness and readiness):
 * `/health` is 200 while the process serves HTTP at all; `/ready` is 200 only once the topics
 * are loaded (recovery done) and the Kafka listeners are bound, and 503 before that and from
 * the start of a graceful stop, so traffic moves away before the listeners close.
 */
import type { AdminHttp, HttpPlugin } from '../server.js';

export function healthPlugin(admin: AdminHttp): HttpPlugin {
  return {
    name: 'health',
    plugin: async (app) => {
      app.get('/health', async () => ({ status: 'UP' }));
      app.get('/ready', async (_req, reply) => {
        const state = admin.readiness;
        if (state !== 'ready') return reply.code(503).send({ status: state === 'starting' ? 'STARTING' : 'DRAINING', ready: false });
        return { status: 'READY', ready: true };
      });
    },
  };
}
