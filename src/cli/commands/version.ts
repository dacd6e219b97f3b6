/**
 * `strand version`: strand's version, the Node.js it runs on (the one inside, for the single-file
 * binary) and the storage backend it will use, loaded as the broker would load it (so an addon
 * that does not load shows up here as `portable`, with the reason on stderr at log level warn).
 */
import { isSea } from 'node:sea';
import type { Command } from 'commander';
import { writeOut } from '../session.js';

export function register(program: Command, version: string): void {
  program
    .command('version')
    .description('print the versions of strand and Node.js and the storage backend in use')
    .action(async () => {
      const { io } = await import('../../io/index.js');
      const native = io as { addonPath?: string; crc32cImplementation?: string };
      const backend = io.name === 'native' ? `native (CRC-32C ${native.crc32cImplementation}, ${native.addonPath})` : 'portable (node:fs, WebAssembly CRC-32C)';
      await writeOut([
        `strand ${version}`,
        `node ${process.version} (${process.platform}-${process.arch})${isSea() ? ', single executable' : ''}`,
        `storage backend ${backend}`,
      ].join('\n') + '\n');
    });
}
