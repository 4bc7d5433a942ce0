import { checkArity, type MethodSpec, type SpecResult } from './method-spec.js';
import type { CallOptions, RpcClient, RpcRequest } from './rpc-client.js';

/**
 * Calls through a table of method specs: the arity is checked, the result parsed with the method's schema, and a
 * write is marked so that it is never retried. FullNodeApi and MinerApi are this over their own tables.
 */
/** Methods every lotus API serves (the embedded Common API), so both typed APIs wrap them here once. */
type CommonMethods = Record<'Version' | 'Session' | 'StartTime' | 'AuthVerify', MethodSpec<unknown>>;

export class TypedApi<Table extends CommonMethods & Record<string, MethodSpec<unknown>>> {
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

  version(options?: CallOptions) {
    return this.call('Version', [], options);
  }
  session(options?: CallOptions) {
    return this.call('Session', [], options);
  }
  startTime(options?: CallOptions) {
    return this.call('StartTime', [], options);
  }
  /** The permissions a token carries (what `lotus auth` would grant it). */
  authVerify(token: string, options?: CallOptions) {
    return this.call('AuthVerify', [token], options);
  }
}
