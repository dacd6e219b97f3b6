#!/usr/bin/env node
/** The `strand` binary. See ./program.ts for the commands. */

// The library logs to stdout, where the tools print their results: outside `strand broker`,
// log errors only. Set before the first import that loads the logger (hence the dynamic import).
if (process.argv[2] !== 'broker') process.env.STRAND_LOG_LEVEL ??= 'error';
const { run } = await import('./program.js');

// `strand consume ... | head`: a reader that goes away ends the output quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await run(process.argv);
process.exitCode = code;
// Every command closes what it opened; should anything still hold the event loop, do not hang.
setTimeout(() => process.exit(code), 2000).unref();
