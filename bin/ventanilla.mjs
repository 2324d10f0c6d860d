#!/usr/bin/env node
// The `ventanilla` command runs the compiled JavaScript in dist/, which `npm ci` / `npm install`
// build (the `prepare` script): transpiling the TypeScript at every start cost over a second.
// Tests and development run the sources through tsx instead (node --import tsx cli/main.ts).
import console from 'node:console';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);

try {
  await import(main.href);
} catch (error) {
  // Only a missing build is explained here; anything else is the command's own failure.
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes(fileURLToPath(main)))
    throw error;
  console.error('error: ventanilla is not built (dist/cli/main.js is missing). Run "npm run build".');
  process.exit(2);
}
