import { describe, expect, it } from 'vitest';
import { OpsError } from './ops-error.js';
import { parseSince } from './time-filter.js';

const NOW = Date.parse('2026-05-01T12:00:00Z');

describe('parseSince', () => {
  it('takes durations back from now', () => {
    expect(parseSince('90s', NOW).toISOString()).toBe('2026-05-01T11:58:30.000Z');
    expect(parseSince('30m', NOW).toISOString()).toBe('2026-05-01T11:30:00.000Z');
    expect(parseSince('2h', NOW).toISOString()).toBe('2026-05-01T10:00:00.000Z');
    expect(parseSince('7d', NOW).toISOString()).toBe('2026-04-24T12:00:00.000Z');
  });

  it('takes ISO times and dates', () => {
    expect(parseSince('2026-04-30T08:15:00Z', NOW).toISOString()).toBe('2026-04-30T08:15:00.000Z');
    expect(parseSince('2026-04-30T08:15:00+02:00', NOW).toISOString()).toBe('2026-04-30T06:15:00.000Z');
    expect(parseSince('2026-04-30', NOW).toISOString()).toBe('2026-04-30T00:00:00.000Z');
  });

  it('refuses anything else as a usage error instead of guessing', () => {
    for (const bad of ['yesterday', '2 hours', '-2h', '2w', '', '2026-13-45T99:00:00Z']) {
      expect(() => parseSince(bad, NOW), bad).toThrow(OpsError);
    }
    try {
      parseSince('yesterday', NOW);
    } catch (error) {
      expect((error as OpsError).exitCode).toBe(2);
    }
  });
});
