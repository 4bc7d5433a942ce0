import { ApplicationCommandOptionType } from 'discord.js';
import type { RawArgs } from '../../core/parse-args.js';

/** An option of a slash command as the interaction carries it (discord.js's CommandInteractionOption fits). */
export interface InteractionOption {
  name: string;
  type: ApplicationCommandOptionType;
  value?: string | number | boolean;
  options?: readonly InteractionOption[];
}

/**
 * Discord's typed options → the runtime's raw options, with the subcommand Discord selected. Values keep their types
 * (integer, boolean, string); the command's zod schema still validates them, as it does Slack's text.
 */
export function inboundOptions(data: readonly InteractionOption[]): { subcommand?: string; options: RawArgs } {
  const first = data[0];
  if (first && first.type === ApplicationCommandOptionType.Subcommand) {
    return { subcommand: first.name, options: valuesOf(first.options ?? []) };
  }
  return { options: valuesOf(data) };
}

function valuesOf(data: readonly InteractionOption[]): RawArgs {
  const out: RawArgs = {};
  for (const option of data) if (option.value !== undefined) out[option.name] = option.value;
  return out;
}
