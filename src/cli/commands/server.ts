import type { CommandModule } from 'yargs';
import type { CommandIO } from '../io.js';
import { tunnelCommand } from './tunnel-command.js';

/** `pqvpn server --config FILE [--directive value …]` */
export function serverCommand(io: CommandIO): CommandModule {
  return tunnelCommand(io, 'server');
}
