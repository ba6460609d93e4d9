#!/usr/bin/env node
// Entry point installed as `pqvpn`. The TypeScript sources are compiled to dist/ by `npm run build`
// (run automatically by `npm ci` through the `prepare` script).
import { run } from '../dist/cli/main.js';

process.exitCode = await run(process.argv.slice(2));
