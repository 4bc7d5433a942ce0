import { describe, expect, it } from 'vitest';
import { discordPrincipal } from '../../../src/adapters/discord/identity.js';

const guildId = '1180000000000000002';
const user = { id: '42', username: 'rita', globalName: 'Rita' };

describe('the Discord identity', () => {
  it('given the raw member of an uncached guild, then its role ids become discord-role groups', () => {
    expect(discordPrincipal({ user, guildId, member: { roles: ['777', '778'], nick: 'rita-ops' } })).toEqual({
      id: 'discord:42',
      groups: ['discord-role:777', 'discord-role:778'],
      displayName: 'rita-ops',
    });
  });

  it('given a cached GuildMember, then @everyone (the guild id) is never a group', () => {
    const cache = new Map([
      [guildId, {}],
      ['777', {}],
    ]);
    expect(discordPrincipal({ user, guildId, member: { roles: { cache }, nickname: null } })).toEqual({
      id: 'discord:42',
      groups: ['discord-role:777'],
      displayName: 'Rita',
    });
  });

  it('given no member (a DM), then the user has no groups', () => {
    expect(
      discordPrincipal({ user: { id: '42', username: 'rita', globalName: null }, guildId: null, member: null }),
    ).toEqual({
      id: 'discord:42',
      groups: [],
      displayName: 'rita',
    });
  });
});
