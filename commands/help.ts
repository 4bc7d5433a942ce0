import { z } from 'zod';
import { defineReadCommand } from '../src/core/command.js';
import { block } from '../src/core/reply.js';
import { hasRole } from '../src/core/roles.js';

export default defineReadCommand({
  name: 'help',
  description: 'List the commands you may run, with their arguments',
  options: [],
  args: z.object({}),
  role: 'viewer',
  destructive: false,
  async run(ctx) {
    const commands = ctx.runtime.listCommands().filter((c) => hasRole(ctx.role, c.role));
    return {
      title: 'Commands you may run',
      severity: 'info',
      blocks: [
        block.table(
          ['command', 'role', 'what it does'],
          commands.map((c) => [c.usage, c.destructive ? `${c.role}, needs approval` : c.role, c.description]),
        ),
        block.text(`You are ${ctx.principal.id} with the ${ctx.role} role.`),
      ],
    };
  },
});
