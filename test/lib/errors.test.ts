import { describe, expect, it } from 'vitest';
import {
  AppError,
  MAX_DETAIL_LENGTH,
  MAX_FIELD_ERRORS,
  MAX_URL_LENGTH,
  toProblem,
} from '../../src/lib/errors';

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

describe('toProblem', () => {
  it('keeps a problem within the bounds its OpenAPI schema declares (issue 17)', () => {
    const errors = Array.from({ length: MAX_FIELD_ERRORS + 5 }, (_, n) => ({
      path: `body.${'x'.repeat(MAX_DETAIL_LENGTH)}${n}`,
      message: 'm'.repeat(MAX_DETAIL_LENGTH + 1),
      code: 'too_big',
    }));
    const error = new AppError('VALIDATION_ERROR', {
      detail: 'd'.repeat(MAX_DETAIL_LENGTH + 10),
      errors,
    });
    const problem = toProblem(error, `/api/v1/${'p'.repeat(MAX_URL_LENGTH)}`, 'req-1');
    expect(problem.detail).toHaveLength(MAX_DETAIL_LENGTH);
    expect(problem.instance).toHaveLength(MAX_URL_LENGTH);
    expect(problem.errors).toHaveLength(MAX_FIELD_ERRORS);
    expect(problem.errors?.[0]?.path).toHaveLength(MAX_DETAIL_LENGTH);
    expect(problem.errors?.[0]?.message).toHaveLength(MAX_DETAIL_LENGTH);
    expect(toProblem(new AppError('NOT_FOUND'), '/x', 'r').detail).toBe('Not found');
  });
});
