import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CommandDefinition } from './command.js';

/** The commands/ folder beside src/, whether running from TypeScript sources (tests) or from dist/. */
export function commandsDirectory(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'commands');
}

/**
 * Every file in commands/ is one chat command: its default export is the declaration. Adding a command is adding a
 * file; nothing else lists them.
 */
export async function loadCommands(directory = commandsDirectory()): Promise<CommandDefinition[]> {
  const files = readdirSync(directory)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
  const commands: CommandDefinition[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(directory, file)).href)) as { default?: CommandDefinition };
    if (!module.default || typeof module.default.name !== 'string') {
      throw new Error(`commands/${file} has no default export with a command declaration`);
    }
    commands.push(module.default);
  }
  return commands;
}
