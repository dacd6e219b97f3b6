/**
 * The HTTP layers registered on the admin listener after its own (metrics, health, console).
 * Each layer adds one import and one entry here; see the plugin interface in server.ts.
 */
import { restProxyPlugin } from './rest-proxy/plugin.js';
import { schemaRegistryPlugin } from './schema-registry/plugin.js';
import type { HttpPlugin } from './server.js';

export const HTTP_PLUGINS: HttpPlugin[] = [
  schemaRegistryPlugin,
  restProxyPlugin,
];
