import type { CommandModule } from 'yargs';
import type { CommandIO } from '../io.js';
import { tunnelCommand } from './tunnel-command.js';

/** `pqvpn client --config FILE [--directive value …]` */
export function clientCommand(io: CommandIO): CommandModule {
  return tunnelCommand(io, 'client');
}
