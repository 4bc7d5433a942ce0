import { StoreError } from '../store/store-error.js';
import { OpsError } from './errors.js';

/**
 * The store's failures as the catalogue explains them (which file, what is wrong, what to do); any other error as it
 * is. Every place that turns an error into words for a person goes through it: replies, job outcomes, the CLI.
 */
export function explainable(error: unknown): unknown {
  if (!(error instanceof StoreError)) return error;
  switch (error.kind) {
    case 'busy':
      return new OpsError(
        'STORE_BUSY',
        { path: error.path, holder: error.holder ?? 'another process' },
        { cause: error },
      );
    case 'damaged':
      return new OpsError('STORE_DAMAGED', { path: error.path, detail: error.message }, { cause: error });
    case 'cannot-open':
      return new OpsError(
        'STORE_OPEN_FAILED',
        { path: error.path, detail: error.message, user: error.user ?? 'the user' },
        { cause: error },
      );
    case 'unreachable':
      return new OpsError('STORE_UNREACHABLE', { path: error.path, detail: error.message }, { cause: error });
  }
}
