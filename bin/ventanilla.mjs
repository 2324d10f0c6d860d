#!/usr/bin/env node
// The `ventanilla` command. The project runs its TypeScript directly through tsx, so there is no
// build step between a checkout and a working CLI.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
