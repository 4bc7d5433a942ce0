import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { ConnectionHealth } from '../../../src/net/connection-health.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { StoreError } from '../../../src/store/store-error.js';
import { captureLog, createHarness, people, textOf } from '../../helpers/runtime-harness.js';

describe('/health', () => {
  it('given both platforms reporting, when a viewer asks, then each shows its state, since when, reconnects, gaps and the last problem', async () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 30, 12, 0, 0));
    const health = new ConnectionHealth({ clock, log: captureLog().log });
    const h = await createHarness({ clock, health });
    try {
      const slack = health.reporter('slack');
      const discord = health.reporter('discord');
      slack.links(2, 2);
      slack.state('connected');
      discord.state('connected');
      clock.advance(60_000);
      slack.links(1, 2);
      slack.gap(5_100);
      discord.state('reconnecting', {
        hop: 'gateway',
        detail: 'the proxy http://proxy.corp:3128 refused the tunnel to gateway.discord.gg:443 (HTTP 403)',
      });
      clock.advance(120_000);
      const reply = await h.run(people.victor, '/health');
      const text = textOf(reply);
      expect(reply.severity).toBe('warning');
      expect(text).toContain('["Slack","connected","2026-11-30 12:00 UTC (3 min ago)","0"]');
      expect(text).toContain('["Discord","reconnecting","2026-11-30 12:01 UTC (2 min ago)","1"]');
      expect(text).toContain('Slack: 1 of 2 Socket Mode link(s) open.');
      expect(text).toContain('Slack: last span with no link open 5 s; 1 in 24 h, longest 5 s');
      expect(text).toContain(
        'Discord: last problem 2 min ago (gateway): the proxy http://proxy.corp:3128 refused the tunnel',
      );
    } finally {
      await h.close();
    }
  });

  it('given no chat adapter in the process, when asked, then it says so', async () => {
    const h = await createHarness();
    try {
      expect(textOf(await h.run(people.victor, '/health'))).toContain(
        'No Slack or Discord adapter runs in this process',
      );
    } finally {
      await h.close();
    }
  });

  it('given one instance on SQLite, when asked, then the store answers and this instance leads', async () => {
    const h = await createHarness();
    try {
      await h.leadership.tick();
      const reply = await h.run(people.victor, '/health');
      const text = textOf(reply);
      expect(text).toContain(
        `Store: SQLite file ${h.dbPath}, answering. One instance (this one) uses this store and leads.`,
      );
      expect(text).toContain('"test-host:1:0 (this one)","test-host","1"');
      expect(text).toContain('"leader"');
    } finally {
      await h.close();
    }
  });

  it('given a store that does not answer, when asked, then /health still answers, in red, and says so', async () => {
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'lcops-health-')), 'store.db'));
    store.ping = async () => {
      throw new StoreError('unreachable', 'db.example:5432/ops', 'connect ECONNREFUSED 10.0.0.9:5432');
    };
    const h = await createHarness({ store: store });
    try {
      const reply = await h.run(people.victor, '/health');
      expect(reply.severity).toBe('error');
      expect(textOf(reply)).toContain(
        'Store: does not answer: The database db.example:5432/ops does not answer: connect ECONNREFUSED 10.0.0.9:5432.',
      );
    } finally {
      await h.close();
    }
  });
});
