/** The admin listener's own routes, registered before other layers' plugins. */
import { consolePlugin } from './console/index.js';
import { healthPlugin } from './health/index.js';
import { metricsPlugin } from './metrics/index.js';
import type { AdminHttp, HttpPlugin } from './server.js';

export function builtinPlugins(admin: AdminHttp): HttpPlugin[] {
  return [healthPlugin(admin), metricsPlugin(admin), consolePlugin];
}
