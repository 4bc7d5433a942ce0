import { expect } from 'vitest';
import { OpsError } from '../../src/core/errors.js';

/** The OpsError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function opsFailure(promise: Promise<unknown>): Promise<OpsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpsError);
  return error as OpsError;
}
