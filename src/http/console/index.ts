/**
 * The web console at `/`: a static page (plain HTML, a small script, uPlot for the charts)
 * over the JSON of api.ts. The page and script are checked in (assets/); uPlot is served from
 * its npm package as `npm install` put it, so there is no build step.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpPlugin } from '../server.js';
import { registerConsoleApi } from './api.js';

/** The checked-in assets: beside this file in src/, and found from a build (dist/) through the package root above it. */
function assetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(here, 'assets', 'index.html'))) return join(here, 'assets');
  for (let dir = dirname(here); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'src/http/console/assets');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  throw new Error(`the console's assets (src/http/console/assets) are not found above ${here}`);
}

function loadAssets(): Map<string, { type: string; body: Buffer }> {
  const dir = assetsDir();
  const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', body: readFileSync(join(dir, 'index.html')) }],
    ['/console.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(join(dir, 'console.js')) }],
    ['/console.css', { type: 'text/css; charset=utf-8', body: readFileSync(join(dir, 'console.css')) }],
    ['/vendor/uplot.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(join(uplot, 'dist/uPlot.iife.min.js')) }],
    ['/vendor/uplot.css', { type: 'text/css; charset=utf-8', body: readFileSync(join(uplot, 'dist/uPlot.min.css')) }],
  ]);
}

export const consolePlugin: HttpPlugin = {
  name: 'console',
  plugin: async (app, { broker }) => {
    const assets = loadAssets();
    for (const [path, asset] of assets) {
      app.get(path, async (_req, reply) => reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body));
    }
    registerConsoleApi(app, broker);
  },
};
