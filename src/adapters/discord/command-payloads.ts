import {
  type APIApplicationCommandBasicOption,
  type APIApplicationCommandSubcommandOption,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import {
  type CommandDefinition,
  type CommandGroup,
  isGroup,
  type LeafCommand,
  type OptionSpec,
} from '../../core/command.js';
import { discordErrors } from './discord-error.js';
import { discordLimits as limits } from './discord-limits.js';

export type CommandPayload = RESTPostAPIChatInputApplicationCommandsJSONBody;

const namePattern = /^[a-z0-9_-]{1,32}$/;

/**
 * The slash commands Discord registers, generated from the same declarations as Slack's usage text and the terminal's
 * help: typed options (durations travel as strings and are parsed by the runtime), choices, and a group's subcommands
 * as Discord subcommands. Discord has no default subcommand, so a group always needs one chosen (`/approvals list`);
 * the default is listed first. A declaration that breaks one of Discord's rules is refused here, with the command's
 * name, rather than by Discord with a bare "Invalid Form Body".
 */
export function commandPayloads(definitions: readonly CommandDefinition[]): CommandPayload[] {
  if (definitions.length > limits.commandsPerScope) {
    throw discordErrors('DISCORD_COMMAND_INVALID', {
      command: '*',
      detail: `${definitions.length} commands, Discord takes ${limits.commandsPerScope}`,
    });
  }
  unique(
    definitions.map((d) => d.name),
    '*',
  );
  return definitions.map((definition) => {
    const payload: CommandPayload = {
      type: ApplicationCommandType.ChatInput,
      name: checkName(definition.name, definition.name),
      description: fitDescription(definition.name, definition.description),
      // Roles come from a guild; in a DM the asker would have none.
      contexts: [InteractionContextType.Guild],
      integration_types: [ApplicationIntegrationType.GuildInstall],
      options: isGroup(definition) ? subcommandsOf(definition) : optionsOf(definition.name, definition.options),
    };
    const size = countChars(payload);
    if (size > limits.commandTotalChars) {
      throw discordErrors('DISCORD_COMMAND_INVALID', {
        command: definition.name,
        detail: `its names, descriptions and choices take ${size} characters, over ${limits.commandTotalChars}`,
      });
    }
    return payload;
  });
}

function subcommandsOf(group: CommandGroup): APIApplicationCommandSubcommandOption[] {
  if (group.subcommands.length > limits.optionsPerCommand) {
    throw discordErrors('DISCORD_COMMAND_INVALID', {
      command: group.name,
      detail: `${group.subcommands.length} subcommands, Discord takes ${limits.optionsPerCommand}`,
    });
  }
  unique(
    group.subcommands.map((s) => s.name),
    group.name,
  );
  const ordered = [
    ...group.subcommands.filter((s) => s.name === group.defaultSubcommand),
    ...group.subcommands.filter((s) => s.name !== group.defaultSubcommand),
  ];
  return ordered.map((leaf: LeafCommand) => {
    const path = `${group.name} ${leaf.name}`;
    return {
      type: ApplicationCommandOptionType.Subcommand,
      name: checkName(path, leaf.name),
      description: fitDescription(path, leaf.description),
      options: optionsOf(path, leaf.options),
    };
  });
}

function optionsOf(path: string, options: readonly OptionSpec[]): APIApplicationCommandBasicOption[] {
  if (options.length > limits.optionsPerCommand) {
    throw discordErrors('DISCORD_COMMAND_INVALID', {
      command: path,
      detail: `${options.length} options, Discord takes ${limits.optionsPerCommand}`,
    });
  }
  unique(
    options.map((o) => o.name),
    path,
  );
  // Discord wants the required options before the optional ones; the order among each stays as declared.
  const ordered = [...options.filter((o) => o.required), ...options.filter((o) => !o.required)];
  return ordered.map((option) => optionOf(path, option));
}

function optionOf(path: string, option: OptionSpec): APIApplicationCommandBasicOption {
  const where = `${path} ${option.name}`;
  const name = checkName(where, option.name);
  const required = option.required ?? false;
  switch (option.type) {
    case 'string':
      return {
        type: ApplicationCommandOptionType.String,
        name,
        description: fitDescription(where, option.description),
        required,
        ...(option.choices ? { choices: choicesOf(where, option.choices).map((c) => ({ name: c, value: c })) } : {}),
      };
    case 'duration': {
      // Typed as text: Discord has no duration type. The hint shows the form the runtime parses.
      const hinted = `${option.description} (e.g. 30m, 2h)`;
      return {
        type: ApplicationCommandOptionType.String,
        name,
        description: hinted.length <= limits.commandDescription ? hinted : fitDescription(where, option.description),
        required,
        ...(option.choices ? { choices: choicesOf(where, option.choices).map((c) => ({ name: c, value: c })) } : {}),
      };
    }
    case 'integer':
      return {
        type: ApplicationCommandOptionType.Integer,
        name,
        description: fitDescription(where, option.description),
        required,
        ...(option.choices
          ? { choices: choicesOf(where, option.choices).map((c) => ({ name: c, value: integerChoice(where, c) })) }
          : {}),
      };
    case 'boolean':
      if (option.choices)
        throw discordErrors('DISCORD_COMMAND_INVALID', {
          command: where,
          detail: 'a boolean option cannot have choices',
        });
      return {
        type: ApplicationCommandOptionType.Boolean,
        name,
        description: fitDescription(where, option.description),
        required,
      };
  }
}

function choicesOf(where: string, choices: readonly string[]): readonly string[] {
  if (choices.length > limits.choicesPerOption) {
    throw discordErrors('DISCORD_COMMAND_INVALID', {
      command: where,
      detail: `${choices.length} choices, Discord takes ${limits.choicesPerOption}`,
    });
  }
  const long = choices.find((c) => c.length < 1 || c.length > limits.choiceName);
  if (long !== undefined) {
    throw discordErrors('DISCORD_COMMAND_INVALID', {
      command: where,
      detail: `choice "${long}" is not 1–${limits.choiceName} characters`,
    });
  }
  unique(choices, where);
  return choices;
}

function integerChoice(where: string, choice: string): number {
  if (!/^-?\d{1,15}$/.test(choice))
    throw discordErrors('DISCORD_COMMAND_INVALID', {
      command: where,
      detail: `choice "${choice}" of an integer option is not a whole number`,
    });
  return Number(choice);
}

function checkName(where: string, name: string): string {
  if (!namePattern.test(name)) {
    throw discordErrors('DISCORD_COMMAND_INVALID', {
      command: where,
      detail: `"${name}" is not 1–${limits.commandName} lower-case letters, digits, "-" or "_"`,
    });
  }
  return name;
}

/** Descriptions are help text: one that is too long is shortened at a word, which loses no command content. */
function fitDescription(where: string, description: string): string {
  const text = description.replace(/\s+/g, ' ').trim();
  if (text === '') throw discordErrors('DISCORD_COMMAND_INVALID', { command: where, detail: 'it needs a description' });
  if (text.length <= limits.commandDescription) return text;
  const cut = text.slice(0, limits.commandDescription - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > limits.commandDescription / 2 ? cut.slice(0, space) : cut}…`;
}

function unique(names: readonly string[], where: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name))
      throw discordErrors('DISCORD_COMMAND_INVALID', { command: where, detail: `"${name}" is declared twice` });
    seen.add(name);
  }
}

function countChars(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item: unknown) => sum + countChars(item), 0);
  if (typeof value !== 'object' || value === null) return 0;
  let sum = 0;
  for (const [key, item] of Object.entries(value)) {
    if ((key === 'name' || key === 'description') && typeof item === 'string') sum += item.length;
    else if (key === 'value' && (typeof item === 'string' || typeof item === 'number')) sum += String(item).length;
    else sum += countChars(item);
  }
  return sum;
}
