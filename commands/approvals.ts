import { z } from 'zod';
import { defineGroup, defineReadCommand } from '../src/core/command.js';

const approvalId = z
  .string({ error: 'give the request id, e.g. K7M2Q9' })
  .regex(/^[2-9A-Za-z]{6}$/, { error: 'an approval id is 6 letters and digits, e.g. K7M2Q9' });

export default defineGroup({
  name: 'approvals',
  description: 'List, approve or deny requests for destructive commands',
  defaultSubcommand: 'list',
  subcommands: [
    defineReadCommand({
      name: 'list',
      description: 'Show the open approval requests (all: recent closed ones too)',
      options: [{ name: 'all', type: 'boolean', description: 'Include approved, denied and expired requests' }],
      args: z.strictObject({ all: z.boolean().default(false) }),
      role: 'viewer',
      destructive: false,
      run: (ctx, args) => ctx.runtime.listApprovals({ includeClosed: args.all, limit: 25 }),
    }),
    defineReadCommand({
      name: 'approve',
      description: "Approve someone else's request (with a reason, where its policy asks for one)",
      options: [
        { name: 'id', type: 'string', description: 'Approval request id', required: true, positional: true },
        {
          name: 'reason',
          type: 'string',
          description: 'Why you approve it (kept in the audit trail)',
          positional: true,
          rest: true,
        },
      ],
      args: z.strictObject({ id: approvalId, reason: z.string().max(500).optional() }),
      // Whether this person may approve depends on the request's own approver role; the gate checks that.
      role: 'viewer',
      destructive: false,
      run: (ctx, args) => ctx.runtime.vote(ctx, args.id, 'approve', args.reason),
    }),
    defineReadCommand({
      name: 'deny',
      description: 'Deny a request, with a reason',
      options: [
        { name: 'id', type: 'string', description: 'Approval request id', required: true, positional: true },
        {
          name: 'reason',
          type: 'string',
          description: 'Why (shown to the requester)',
          required: true,
          positional: true,
          rest: true,
        },
      ],
      args: z.strictObject({
        id: approvalId,
        reason: z.string({ error: 'say why you deny it' }).min(3, { error: 'say why you deny it' }).max(500),
      }),
      role: 'viewer',
      destructive: false,
      run: (ctx, args) => ctx.runtime.vote(ctx, args.id, 'deny', args.reason),
    }),
  ],
});
