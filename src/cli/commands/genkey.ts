import type { CommandModule } from 'yargs';
import type { CommandIO } from '../io.js';

// Placeholder: replaced by the genkey module's author.
export function genkeyCommand(_io: CommandIO): CommandModule {
  return {
    command: 'genkey',
    describe: 'genkey (being written)',
    handler: () => {
      throw new Error('not written yet');
    },
  };
}
