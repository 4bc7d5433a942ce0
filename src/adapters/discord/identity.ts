import type { Principal } from '../../core/command.js';

/**
 * The parts of an interaction identity needs. `member` is a discord.js GuildMember when the guild is cached (its
 * `roles.cache` then also holds @everyone, whose id is the guild's) and the raw API member, whose `roles` is a plain
 * array of role ids, when it is not.
 */
export interface InteractionIdentity {
  user: { id: string; username: string; globalName?: string | null };
  guildId: string | null;
  member:
    | { roles: readonly string[]; nick?: string | null }
    | { roles: { cache: { keys(): Iterable<string> } }; nickname?: string | null }
    | null;
}

/**
 * The asker as RBAC sees them: `discord:<user id>` with one `discord-role:<role id>` group per guild role. Roles come
 * from the interaction itself, never from a member lookup, and @everyone is never a group: matching it would grant a
 * role to every member of the guild.
 */
export function discordPrincipal(source: InteractionIdentity): Principal {
  const { user, guildId, member } = source;
  const roleIds = member === null ? [] : 'cache' in member.roles ? [...member.roles.cache.keys()] : [...member.roles];
  const groups = [...new Set(roleIds)].filter((id) => id !== guildId).map((id) => `discord-role:${id}`);
  const nickname =
    member === null ? undefined : 'nickname' in member ? member.nickname : 'nick' in member ? member.nick : undefined;
  return { id: `discord:${user.id}`, groups, displayName: nickname ?? user.globalName ?? user.username };
}
