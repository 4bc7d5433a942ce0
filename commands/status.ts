import { z } from 'zod';
import { defineReadCommand } from '../src/command-kit.js';

/** Progress is shown once the answer takes longer than this (a host that hangs, a slow node). */
const SHOW_PENDING_AFTER_MS = 2_000;

export default defineReadCommand({
  name: 'status',
  description: "The cluster's health in one look: every check now, grouped by role, one verdict first",
  options: [],
  args: z.strictObject({}),
  role: 'viewer',
  destructive: false,
  async run(ctx) {
    const { statusProgress, statusReply } = await import('../src/alerts/status-reply.js');
    // The platform already has its acknowledgement; a check still waiting after a moment is shown as pending, and
    // the message is replaced by the full answer when the last one finishes or times out.
    let latest = '';
    let showing = false;
    const timer = setTimeout(() => {
      showing = true;
      if (latest) void ctx.progress(latest);
    }, SHOW_PENDING_AFTER_MS);
    try {
      const status = await ctx.cluster.alerts.statusNow((done, pending, soFar) => {
        latest = pending.length > 0 ? statusProgress(done, pending, soFar) : '';
        if (showing && latest) void ctx.progress(latest);
      });
      return statusReply(status);
    } finally {
      clearTimeout(timer);
    }
  },
});
