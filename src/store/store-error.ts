/**
 * A failure of the store an operator can act on: the file cannot be opened or written, it is damaged, or another
 * process holds its write lock too long, or (PostgreSQL) the database does not answer. The store knows nothing of the error catalogue (it is the ground everything
 * else stands on); the core turns this into the catalogue's STORE_* errors (core/store-failure.ts).
 */
export class StoreError extends Error {
  readonly holder: string | undefined;
  readonly user: string | undefined;

  constructor(
    readonly kind: 'busy' | 'damaged' | 'cannot-open' | 'unreachable',
    readonly path: string,
    detail: string,
    options: { holder?: string; user?: string; cause?: unknown } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.holder = options.holder;
    this.user = options.user;
  }
}
