// Entry of the single-file binary's bundle (scripts/package.mjs). The same start as
// src/cli/main.ts, without top-level await (a SEA main script is CommonJS): the private copy of
// the assets is made first, the log level is set before the logger loads, then the program runs.
import './package-runtime.mjs';

if (process.argv[2] !== 'broker') process.env.STRAND_LOG_LEVEL ??= 'error';
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
// A SEA's argv is [binary, binary, ...args], as node's is [node, script, ...args].
import('../src/cli/program.ts').then(({ run }) => run(process.argv)).then((code) => {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
});
