import { z } from 'zod';
import { defineReadCommand } from '../src/core/command.js';
import { formatDuration, relativeTime } from '../src/core/duration.js';
import { block, type Reply } from '../src/core/reply.js';
import { type PlatformHealth, platformName } from '../src/net/connection-health.js';

export default defineReadCommand({
  name: 'health',
  description: 'How the bot reaches Slack and Discord: connected, reconnecting or down, since when, reconnects',
  options: [],
  args: z.object({}),
  role: 'viewer',
  destructive: false,
  async run(ctx) {
    const platforms = ctx.health?.platforms() ?? [];
    if (platforms.length === 0) {
      return {
        title: 'Chat platform health',
        severity: 'info',
        blocks: [block.text('No Slack or Discord adapter runs in this process (exec, or the terminal alone).')],
      };
    }
    const now = ctx.clock.now();
    const worst = platforms.some((p) => p.state === 'down')
      ? 'error'
      : platforms.some((p) => p.state === 'reconnecting')
        ? 'warning'
        : 'success';
    const notes = platforms.flatMap((p) => notesOf(p, now));
    return {
      title: 'Chat platform health',
      severity: worst,
      blocks: [
        block.table(
          ['platform', 'state', 'since', { header: 'reconnects (24 h)', align: 'right' }],
          platforms.map((p) => [
            platformName(p.platform),
            p.state,
            `${utc(p.since)} (${relativeTime(p.since, now)})`,
            String(p.reconnects24h),
          ]),
        ),
        ...(notes.length > 0 ? [block.list(notes)] : []),
      ],
    } satisfies Reply;
  },
});

function notesOf(p: PlatformHealth, now: number): string[] {
  const name = platformName(p.platform);
  const notes: string[] = [];
  if (p.links) notes.push(`${name}: ${p.links.open} of ${p.links.kept} Socket Mode link(s) open.`);
  if (p.gaps)
    notes.push(
      `${name}: last span with no link open ${formatMs(p.gaps.last)}; ${p.gaps.count24h} in 24 h, longest ${formatMs(p.gaps.longest24h)} (commands sent then were lost).`,
    );
  if (p.outbox && (p.outbox.waiting > 0 || p.outbox.dropped24h > 0))
    notes.push(
      `${name}: ${p.outbox.waiting} message(s) waiting to be posted; ${p.outbox.dropped24h} dropped in 24 h (see the log).`,
    );
  if (p.lastProblem)
    notes.push(
      `${name}: last problem ${relativeTime(p.lastProblem.at, now)} (${p.lastProblem.hop}): ${p.lastProblem.detail}`,
    );
  return notes;
}

function formatMs(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : formatDuration(ms);
}

function utc(at: number): string {
  return `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
