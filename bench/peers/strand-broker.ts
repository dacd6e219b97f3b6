/**
 * The broker under test, alone in its own process: `node --import tsx bench/peers/strand-broker.ts
 * <dataDir> [key=value ...]` starts a broker on a free loopback port with that data directory and
 * those broker settings, prints `@@ready host:port`, and stops gracefully on SIGTERM.
 */
import { startBroker } from '../../src/index.js';
import { READY } from './procs.js';

const [dataDir, ...pairs] = process.argv.slice(2);
if (dataDir === undefined) {
  console.error('usage: strand-broker.ts <dataDir> [key=value ...]');
  process.exit(2);
}
const config: Record<string, string> = {};
for (const p of pairs) {
  const eq = p.indexOf('=');
  config[p.slice(0, eq)] = p.slice(eq + 1);
}
const broker = await startBroker({ dataDir, config, logLevel: process.env.STRAND_LOG_LEVEL ?? 'warn' });
process.stdout.write(`${READY}${broker.bootstrap}\n`);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  broker.stop().then(() => process.exit(0), (err) => {
    console.error(err);
    process.exit(1);
  });
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The benchmark that started us holds our stdin open; if it dies without stopping us, stop.
process.stdin.on('end', stop).on('error', stop).resume();
