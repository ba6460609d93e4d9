import type { CommandModule } from 'yargs';
import type { CommandIO } from '../io.js';

// Placeholder: replaced by the passwd module's author.
export function passwdCommand(_io: CommandIO): CommandModule {
  return {
    command: 'passwd',
    describe: 'passwd (being written)',
    handler: () => {
      throw new Error('not written yet');
    },
  };
}
