import type { CommandModule } from 'yargs';
import type { CommandIO } from '../io.js';

// Placeholder: replaced by the config module's author.
export function configCommand(_io: CommandIO): CommandModule {
  return {
    command: 'config',
    describe: 'config (being written)',
    handler: () => {
      throw new Error('not written yet');
    },
  };
}
