import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/lib/errors';

describe('AppError', () => {
  it('captures a stack for a server error but not for a client error', () => {
    const limit = Error.stackTraceLimit;
    const fault = new AppError('INTERNAL_ERROR');
    const answer = new AppError('NOT_FOUND', { detail: 'No item 42' });

    expect(fault.stack).toMatch(/\n\s+at /);
    expect(answer.stack).toBe('AppError: No item 42');
    expect([fault.status, answer.status]).toEqual([500, 404]);
    // Other errors still get their stacks.
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('x').stack).toMatch(/\n\s+at /);
  });
});
