// `node --import ./test/support/register-ts.mjs file.ts`: run TypeScript sources in a child process or worker.
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
