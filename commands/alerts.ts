import { z } from 'zod';
import { defineGroup, defineReadCommand } from '../src/command-kit.js';
import { parseDuration } from '../src/core/duration.js';

// The implementation is loaded when a subcommand runs: until then this file is only its declaration.

const target = z.string().regex(/^([Aa]\d{1,12}|[a-z][a-z-]{1,30})$/, {
  error: 'give an alert id such as A17, or a check name such as funds',
});
const DAY = 24 * 3_600_000;

export default defineGroup({
  name: 'alerts',
  description: 'Alerts that fire now; ack, silence and unsilence them',
  defaultSubcommand: 'list',
  subcommands: [
    defineReadCommand({
      name: 'list',
      description: 'Firing alerts with their age and who acked them, and the silences in force',
      options: [{ name: 'all', type: 'boolean', description: 'Also those resolved lately' }],
      args: z.strictObject({ all: z.boolean().default(false) }),
      role: 'viewer',
      destructive: false,
      async run(ctx, args) {
        const { alertsListReply } = await import('../src/alerts/alerts-replies.js');
        return alertsListReply(ctx.cluster.alerts, ctx.clock.now(), args.all);
      },
    }),
    defineReadCommand({
      name: 'ack',
      description: 'Ack an alert: no more re-notices until it changes',
      options: [{ name: 'id', type: 'string', description: 'The alert, e.g. A17', positional: true, required: true }],
      args: z.strictObject({ id: z.string().regex(/^[Aa]\d{1,12}$/, { error: 'give an alert id such as A17' }) }),
      role: 'operator',
      destructive: false,
      async run(ctx, args) {
        const { ackAlert } = await import('../src/alerts/alerts-replies.js');
        return ackAlert(ctx.cluster.alerts, args.id, ctx.principal.id);
      },
    }),
    defineReadCommand({
      name: 'silence',
      description: 'Silence an alert, or every alert of a check, for a while (it is still watched)',
      options: [
        {
          name: 'target',
          type: 'string',
          description: 'An alert (A17) or a check (funds)',
          positional: true,
          required: true,
        },
        { name: 'for', type: 'duration', description: 'How long: 30m, 2h, 1d (default 2h, at most 7d)' },
        { name: 'reason', type: 'string', description: 'Why (kept in the audit trail)', positional: true, rest: true },
      ],
      args: z.strictObject({
        target,
        for: z
          .string()
          .regex(/^\d+(m|h|d)$/, { error: 'for must be minutes, hours or days, e.g. for=30m, for=2h or for=1d' })
          .transform(parseDuration)
          .refine((ms) => ms >= 60_000 && ms <= 7 * DAY, {
            error: 'for must be from 1m to 7d; for longer, turn the check off in the configuration',
          })
          .default(2 * 3_600_000),
        reason: z.string().max(500).optional(),
      }),
      role: 'operator',
      destructive: false,
      async run(ctx, args) {
        const { silenceTarget } = await import('../src/alerts/alerts-replies.js');
        return silenceTarget(ctx.cluster.alerts, args.target, {
          until: ctx.clock.now() + args.for,
          by: ctx.principal.id,
          reason: args.reason ?? null,
        });
      },
    }),
    defineReadCommand({
      name: 'unsilence',
      description: 'End the silence of an alert or of a check',
      options: [
        {
          name: 'target',
          type: 'string',
          description: 'An alert (A17) or a check (funds)',
          positional: true,
          required: true,
        },
      ],
      args: z.strictObject({ target }),
      role: 'operator',
      destructive: false,
      async run(ctx, args) {
        const { unsilenceTarget } = await import('../src/alerts/alerts-replies.js');
        return unsilenceTarget(ctx.cluster.alerts, args.target, ctx.principal.id);
      },
    }),
  ],
});
