// The same entry as bin/pqvpn.js, but importing the TypeScript sources (see run-ts.ts).
import { run } from '../../src/cli/main.js';

process.exitCode = await run(process.argv.slice(2));
