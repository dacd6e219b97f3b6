// `npm run gen:config-reference`: writes docs/server.properties, the reference of every broker
// setting, from the definitions the broker reads (see src/cli/commands/config-reference.ts).
// test/cli/config-check.test.ts renders it again and fails when the committed file differs.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The definitions' modules load the storage backend, which logs which one it chose.
process.env.STRAND_LOG_LEVEL ??= 'warn';
const { renderConfigReference } = await import('../src/cli/commands/config-reference.js');
const out = fileURLToPath(new URL('../docs/server.properties', import.meta.url));
writeFileSync(out, renderConfigReference());
console.log(`wrote ${out}`);
