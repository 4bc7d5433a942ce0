import { checkArity, type MethodSpec, type SpecResult } from './method-spec.js';
import type { CallOptions, RpcClient, RpcRequest } from './rpc-client.js';

/**
 * Calls through a table of method specs: the arity is checked, the result parsed with the method's schema, and a
 * write is marked so that it is never retried. FullNodeApi and MinerApi are this over their own tables.
 */
export class TypedApi<Table extends Record<string, MethodSpec<unknown>>> {
  constructor(
    readonly rpc: RpcClient,
    private readonly methods: Table,
  ) {}

  call<M extends keyof Table & string>(
    method: M,
    params: readonly unknown[],
    options?: CallOptions,
  ): Promise<SpecResult<Table[M]>> {
    const spec = this.methods[method] as MethodSpec<SpecResult<Table[M]>>;
    checkArity(method, spec, params);
    return this.rpc.call(method, params, spec.result, { ...options, write: spec.write || options?.write === true });
  }

  /** A call to put in `rpc.batch([...])`. */
  request<M extends keyof Table & string>(method: M, params: readonly unknown[]): RpcRequest<SpecResult<Table[M]>> {
    const spec = this.methods[method] as MethodSpec<SpecResult<Table[M]>>;
    checkArity(method, spec, params);
    return this.rpc.request(method, params, spec.result, spec.write);
  }
}
