// `node --import ./test/e2e/register-cached-ts.mjs file.ts`: run TypeScript sources with a transpile cache.
import { register } from 'node:module';

register('./cached-ts-loader.mjs', import.meta.url);
