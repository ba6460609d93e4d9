import type { CommandModule } from 'yargs';
import type { CommandIO } from '../io.js';

// Placeholder until the config module lands.
export function serverCommand(_io: CommandIO): CommandModule {
  return {
    command: 'server',
    describe: 'run a server',
    handler: () => {
      throw new Error('not written yet');
    },
  };
}
