import type { z } from 'zod';
import { OpsError } from '../core/errors.js';

/**
 * How the bot calls one lotus method: its positional params (lotus's Go type names, as the OpenRPC documents
 * write them, so the conformance test can compare), the schema of its result, and whether it changes state.
 */
export interface MethodSpec<R> {
  readonly params: readonly string[];
  readonly result: z.ZodType<R>;
  readonly write: boolean;
}

export function methodSpec<R>(params: readonly string[], result: z.ZodType<R>, write = false): MethodSpec<R> {
  return { params, result, write };
}

export type SpecResult<S> = S extends MethodSpec<infer R> ? R : never;

/** A programming error, caught before lotus would answer -32602. */
export function checkArity(method: string, spec: MethodSpec<unknown>, params: readonly unknown[]): void {
  if (params.length !== spec.params.length) {
    throw new OpsError('INTERNAL', { detail: `${method} takes ${spec.params.length} params, got ${params.length}` });
  }
}
