import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { OpsError } from '../core/errors.js';
import { explainable } from '../core/store-failure.js';
import { openStore } from '../store/open-store.js';
import { resolveConfig } from './resolve-config.js';

/**
 * `lotus-chatops migrate`: brings the configured store's schema up to date (every instance also does so when it
 * starts; this lets an operator do it first, once, before rolling a new version out to several instances), and with
 * `--from-sqlite FILE` copies an SQLite store's history (approvals with votes and executions, audit, journal,
 * schedules, alerts, silences) into the configured PostgreSQL store, which must be empty.
 */
export async function migrate(
  configPath: string | undefined,
  options: { fromSqlite?: string; out: Writable; env: NodeJS.ProcessEnv; now?: number },
): Promise<number> {
  const { config } = await resolveConfig(configPath, options.env);
  const { store, where } = await openStore(config.store);
  await store.close();
  if (options.fromSqlite === undefined) {
    options.out.write(`The store ${where} is up to date.\n`);
    return 0;
  }
  if (config.store.url === undefined)
    throw new OpsError('USAGE', {
      detail: 'migrate --from-sqlite copies into PostgreSQL: set store.url (and store.password) in the configuration',
    });
  if (!existsSync(options.fromSqlite))
    throw new OpsError('USAGE', { detail: `${options.fromSqlite} does not exist: give the SQLite store to copy` });
  const { copySqliteToPg } = await import('../store/copy-sqlite-to-pg.js');
  let counts: Record<string, number>;
  try {
    ({ counts } = await copySqliteToPg({
      sqlitePath: options.fromSqlite,
      url: config.store.url,
      ...(config.store.password === undefined ? {} : { password: config.store.password }),
      now: options.now ?? Date.now(),
    }));
  } catch (error) {
    const explained = explainable(error);
    if (explained instanceof OpsError) throw explained;
    throw new OpsError('USAGE', {
      detail: `nothing was copied into ${where}: ${explained instanceof Error ? explained.message : String(explained)}`,
    });
  }
  options.out.write(
    `Copied ${options.fromSqlite} into ${where}: ${counts.approvals} approval request(s) with ${counts.votes} vote(s) and ${counts.executions} execution(s), ${counts.audit} audit entries, ${counts.journal} journal entries, ${counts.schedules} schedule(s), ${counts.alerts} alert(s), ${counts.silences} silence(s). Chat updates start afresh: messages about earlier changes are not posted again.\n`,
  );
  return 0;
}
