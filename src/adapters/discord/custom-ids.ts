import { discordLimits } from './discord-limits.js';

/** What a button or form stands for: a command line to run, or one to complete with the clicker's answer first. */
export interface ActionCustomId {
  kind: 'run' | 'ask';
  command: string;
}

const pattern = /^(run|ask):(\/\S[^\r\n]*)$/;

/**
 * Buttons carry their command line in their custom id (`run:/approvals approve K7M2Q9`), so a click is routed by its
 * text alone: buttons keep working after a restart, and no state is kept for them. The core keeps command lines of
 * buttons short enough for Discord's 100 characters.
 */
export const customIds = {
  encode(kind: ActionCustomId['kind'], command: string): string {
    const id = `${kind}:${command}`;
    if (!pattern.test(id) || id.length > discordLimits.customId)
      throw new RangeError(`not a command line a button can carry: ${command}`);
    return id;
  },

  /** Undefined for custom ids this adapter did not make (another bot's, an old message's). */
  parse(customId: string): ActionCustomId | undefined {
    const match = pattern.exec(customId);
    if (!match) return undefined;
    return { kind: match[1] as ActionCustomId['kind'], command: match[2] as string };
  },
};
