// A child-process entry with only the kme-sim command (the full CLI entry loads every command's
// sources through the test loader, which takes seconds): for the real-SIGTERM test.
import yargs from 'yargs';
import { kmeSimCommand } from '../../src/cli/commands/kme-sim.js';
import { processIO } from '../../src/cli/io.js';

await yargs(process.argv.slice(2)).command(kmeSimCommand(processIO())).strict().parseAsync();
