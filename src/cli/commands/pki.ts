import type { CommandModule } from 'yargs';
import type { CommandIO } from '../io.js';

// Placeholder: replaced by the pki module's author.
export function pkiCommand(_io: CommandIO): CommandModule {
  return {
    command: 'pki',
    describe: 'pki (being written)',
    handler: () => {
      throw new Error('not written yet');
    },
  };
}
