import type { CommandModule } from 'yargs';
import type { CommandIO } from '../io.js';

// Placeholder until the config module lands.
export function clientCommand(_io: CommandIO): CommandModule {
  return {
    command: 'client',
    describe: 'run a client',
    handler: () => {
      throw new Error('not written yet');
    },
  };
}
