import { z } from 'zod';
import { defineReadCommand, type JobStatus } from '../src/core/command.js';
import { formatDuration, relativeTime } from '../src/core/duration.js';
import type { InstancesStatus } from '../src/core/leadership.js';
import type { PlatformHealth } from '../src/core/platform-health.js';
import { type Block, block, type Reply } from '../src/core/reply.js';
import { platformName } from '../src/net/connection-health.js';

export default defineReadCommand({
  name: 'health',
  description: 'How the bot reaches Slack, Discord and its alert robots, and how its background jobs ran',
  options: [],
  args: z.object({}),
  role: 'viewer',
  destructive: false,
  async run(ctx) {
    const now = ctx.clock.now();
    const platforms = ctx.health?.platforms() ?? [];
    const instances = await ctx.runtime.instances();
    // Without the database the jobs cannot be read either; /health still answers with what it knows.
    const jobs = instances?.database.ok === false ? [] : await ctx.runtime.listJobs();
    const platformSeverity = platforms.some((p) => p.state === 'down')
      ? 'error'
      : platforms.some((p) => p.state === 'reconnecting')
        ? 'warning'
        : 'success';
    const jobsFailing = jobs.some((j) => j.lastOutcome !== null && j.lastOutcome !== 'ok');
    const databaseDown = instances?.database.ok === false;
    const severity =
      platformSeverity === 'error' || databaseDown
        ? 'error'
        : platformSeverity === 'warning' || jobsFailing
          ? 'warning'
          : 'success';
    const notes = platforms.flatMap((p) => notesOf(p, now));
    const blocks: Block[] =
      platforms.length === 0
        ? [block.text('No Slack or Discord adapter runs in this process (exec, or the terminal alone).')]
        : [
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
          ];
    return {
      title: 'Bot health',
      severity: platforms.length === 0 && !jobsFailing && !databaseDown ? 'info' : severity,
      blocks: [...blocks, ...(instances ? instanceBlocks(instances, now) : []), ...jobBlocks(jobs, now)],
    } satisfies Reply;
  },
});

function instanceBlocks(status: InstancesStatus, now: number): Block[] {
  const database = status.database.ok
    ? `Store: ${status.database.detail}, answering.`
    : `Store: does not answer: ${status.database.detail}`;
  if (!status.database.ok) return [block.text(database)];
  const leader = status.shared
    ? status.leader === null
      ? `No instance leads right now; one takes over within ${formatMs(status.takeoverMs)}.`
      : `${status.leader === status.self ? 'This instance' : status.leader} leads (Discord and scheduled work); a successor takes over within ${formatMs(status.takeoverMs)} if it stops.`
    : 'One instance (this one) uses this store and leads.';
  if (status.instances.length === 0)
    return [block.text(`${database} ${leader} No instance has reported yet (this process runs no background work).`)];
  return [
    block.text(`${database} ${leader}`),
    block.table(
      ['instance', 'host', { header: 'pid', align: 'right' }, 'started', 'last seen', 'role'],
      status.instances.map((i) => [
        i.id === status.self ? `${i.id} (this one)` : i.id,
        i.host,
        String(i.pid),
        utc(i.startedAt),
        relativeTime(i.lastSeen, now),
        i.id === status.leader || (!status.shared && i.id === status.self) ? 'leader' : 'standby',
      ]),
      'Instances',
    ),
  ];
}

function jobBlocks(jobs: JobStatus[], now: number): Block[] {
  if (jobs.length === 0) return [block.text('No background jobs run in this process.')];
  const ran = jobs.filter((j) => j.lastStartedAt !== null);
  const errors = jobs
    .filter((j) => j.lastOutcome !== null && j.lastOutcome !== 'ok')
    .map((j) => `${j.name}: last run ${j.lastOutcome}${j.lastError ? `: ${j.lastError}` : ''}`);
  return [
    block.table(
      [
        'job',
        'every',
        'last run',
        { header: 'took', align: 'right' },
        'outcome',
        { header: 'runs', align: 'right' },
        { header: 'failed', align: 'right' },
      ],
      jobs.map((j) => [
        j.name,
        formatMs(j.everyMs),
        j.lastStartedAt === null ? 'never' : relativeTime(j.lastStartedAt, now),
        j.lastDurationMs === null ? '' : formatMs(j.lastDurationMs),
        j.runningIn ? 'running' : (j.lastOutcome ?? ''),
        String(j.runs),
        String(j.failures),
      ]),
      ran.length === 0 ? 'Background jobs (none has run yet)' : 'Background jobs',
    ),
    ...(errors.length > 0 ? [block.list(errors)] : []),
  ];
}

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
