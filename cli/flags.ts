import { parseArgs } from 'node:util';

// Every option of every command, parsed once: a command reads only the flags it documents.

export type ParsedFlags = ReturnType<typeof parseFlags>;
export type Flags = ParsedFlags['values'];

export function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      watch: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      reason: { type: 'string', multiple: true, default: [] },
      condition: { type: 'string', multiple: true, default: [] },
      officer: { type: 'string' },
      'decision-id': { type: 'string' },
      since: { type: 'string' },
      agency: { type: 'string' },
      'all-failed': { type: 'boolean', default: false },
      all: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      yes: { type: 'boolean', short: 'y', default: false },
      // Identity (design.md §10): pki issue, and the signing commands (sign, submit, decide).
      rfc: { type: 'string' },
      name: { type: 'string' },
      days: { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      'password-file': { type: 'string' },
    },
  });
}
