import { z } from 'zod';
import { defineReadCommand } from '../src/core/command.js';

export default defineReadCommand({
  name: 'audit',
  description: 'Recent audit entries: who ran, requested, approved or was refused what',
  options: [
    { name: 'user', type: 'string', description: 'Only this principal, e.g. slack:U0123' },
    { name: 'command', type: 'string', description: 'Only this command, e.g. pledge' },
    { name: 'limit', type: 'integer', description: 'How many entries (default 20, at most 200)' },
  ],
  args: z.strictObject({
    user: z.string().max(200).optional(),
    command: z
      .string()
      .regex(/^\/?[a-z-]+( [a-z-]+)?$/, { error: 'a command name such as pledge' })
      .transform((c) => c.replace(/^\//, ''))
      .optional(),
    limit: z.number({ error: 'limit must be a whole number' }).int().min(1).max(200).default(20),
  }),
  role: 'operator',
  destructive: false,
  run: (ctx, args) =>
    ctx.runtime.queryAudit({
      limit: args.limit,
      ...(args.user === undefined ? {} : { principal: args.user }),
      ...(args.command === undefined ? {} : { command: args.command }),
    }),
});
