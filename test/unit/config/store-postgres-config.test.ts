import { describe, expect, it } from 'vitest';
import { checkConfigText, parseConfigText } from '../../../src/config/load-config.js';
import { redactSecrets } from '../../../src/core/logger.js';
import { minimalConfigText } from '../../helpers/config-text.js';

const withStore = (store: string) => minimalConfigText(`store:\n${store}`);

describe('store.url: PostgreSQL', () => {
  it('given a postgres URL and the password from the environment, then both are taken and the password is a secret that logs never show', () => {
    const config = parseConfigText(
      withStore('  url: postgres://lotus_chatops@db.example:5432/lotus_chatops\n  password: ${LCOPS_PG_PASSWORD}\n'),
      { LCOPS_PG_PASSWORD: 'pg-pass-1a2b3c4d5e' },
    );
    expect(config.store).toMatchObject({
      url: 'postgres://lotus_chatops@db.example:5432/lotus_chatops',
      password: 'pg-pass-1a2b3c4d5e',
      leaderLease: '15s',
    });
    expect(redactSecrets('connecting with pg-pass-1a2b3c4d5e')).not.toContain('pg-pass-1a2b3c4d5e');
  });

  it('given a password inside the URL, then the file is refused without repeating it', () => {
    const { problems } = checkConfigText(withStore('  url: postgres://bot:hunter2-in-url@db:5432/ops\n'), {});
    const text = problems.map((p) => p.message).join('\n');
    expect(text).toContain('holds a password: put it in store.password (from the environment) instead');
    expect(text).not.toContain('hunter2-in-url');
  });

  it('given another scheme, no database or a lease under 3 s, then each is refused with what is expected', () => {
    const scheme = checkConfigText(withStore('  url: mysql://bot@db/ops\n'), {}).problems.map((p) => p.message);
    expect(scheme.join('\n')).toContain('must start with postgres://');
    const noDb = checkConfigText(withStore('  url: postgres://bot@db:5432\n'), {}).problems.map((p) => p.message);
    expect(noDb.join('\n')).toContain('must name a host and a database');
    const lease = checkConfigText(withStore('  leaderLease: 1s\n'), {}).problems.map((p) => p.message);
    expect(lease.join('\n')).toContain('must be at least 3s');
  });
});
