import {
  type APIApplicationCommandInteractionDataBasicOption,
  type APIChatInputApplicationCommandGuildInteraction,
  type APIInteractionGuildMember,
  type APIMessage,
  type APIMessageComponentGuildInteraction,
  type APIModalSubmitGuildInteraction,
  type APIRole,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  type ChannelFlags,
  ChannelType,
  ComponentType,
  type GatewayGuildCreateDispatchData,
  GuildDefaultMessageNotifications,
  GuildExplicitContentFilter,
  type GuildMemberFlags,
  GuildMFALevel,
  GuildNSFWLevel,
  GuildPremiumTier,
  GuildSystemChannelFlags,
  GuildVerificationLevel,
  InteractionContextType,
  InteractionType,
  Locale,
  type RoleFlags,
} from 'discord.js';

/**
 * Discord's JSON, as the gateway delivers it, for the interactions the bot handles: slash commands, button clicks and
 * modal submits in a guild. Each builder makes a fresh interaction id and token.
 */

export const discordIds = {
  application: '1180000000000000001',
  guild: '1180000000000000002',
  channel: '1180000000000000003',
  /** A guild the client has no GUILD_CREATE for: its interactions carry the raw member. */
  uncachedGuild: '1180000000000000004',
  uncachedChannel: '1180000000000000005',
  operatorsRole: '777',
} as const;

/** A token shaped like a real one (base64 id . timestamp . signature): login() strips a leading "Bot"/"Bearer". */
export const discordToken = 'MTE4MDAwMDAwMDAwMDAwMDAwMQ.GfAkEd.c2lnbmF0dXJlLW9mLWEtZmFrZS10b2tlbi0xMjM0';

export interface FakeUser {
  id: string;
  username: string;
  roles: string[];
}

export const discordUsers = {
  /** An operator by role: asks for things. */
  rita: { id: '1180000000000000111', username: 'rita', roles: [discordIds.operatorsRole] },
  /** Another operator by role: approves them. */
  omar: { id: '1180000000000000222', username: 'omar', roles: [discordIds.operatorsRole] },
  /** A third operator by role, for requests that need two approvals. */
  ivan: { id: '1180000000000000444', username: 'ivan', roles: [discordIds.operatorsRole] },
  /** In the guild, in no configured role. */
  nadia: { id: '1180000000000000333', username: 'nadia', roles: [] },
} satisfies Record<string, FakeUser>;

let counter = 0;
const nextId = (): string => (1_190_000_000_000_000_000n + BigInt(++counter)).toString();

function member(user: FakeUser): APIInteractionGuildMember {
  return {
    user: { id: user.id, username: user.username, discriminator: '0', global_name: null, avatar: null },
    roles: user.roles,
    joined_at: '2026-01-01T00:00:00.000000+00:00',
    deaf: false,
    mute: false,
    flags: 0 as GuildMemberFlags,
    permissions: '2248473465835073',
    nick: null,
  };
}

function base(user: FakeUser, where: { guildId: string; channelId: string }) {
  return {
    id: nextId(),
    application_id: discordIds.application,
    token: `aW50ZXJhY3Rpb24tdG9rZW4-${nextId()}`,
    version: 1 as const,
    guild_id: where.guildId,
    guild: { id: where.guildId, locale: Locale.EnglishUS, features: [] },
    channel_id: where.channelId,
    channel: { id: where.channelId, type: ChannelType.GuildText as const, name: 'ops', guild_id: where.guildId },
    member: member(user),
    app_permissions: '2248473465835073',
    locale: Locale.EnglishUS,
    guild_locale: Locale.EnglishUS,
    entitlements: [],
    authorizing_integration_owners: { [ApplicationIntegrationType.GuildInstall]: where.guildId },
    context: InteractionContextType.Guild,
    attachment_size_limit: 10_485_760,
  };
}

export interface SlashCommandInput {
  user: FakeUser;
  command: string;
  subcommand?: string;
  options?: Record<string, string | number | boolean>;
  guildId?: string;
  channelId?: string;
}

export function slashCommand(input: SlashCommandInput): APIChatInputApplicationCommandGuildInteraction {
  const where = { guildId: input.guildId ?? discordIds.guild, channelId: input.channelId ?? discordIds.channel };
  const values = Object.entries(input.options ?? {}).map(
    ([name, value]): APIApplicationCommandInteractionDataBasicOption => {
      if (typeof value === 'boolean') return { name, type: ApplicationCommandOptionType.Boolean, value };
      if (typeof value === 'number') return { name, type: ApplicationCommandOptionType.Integer, value };
      return { name, type: ApplicationCommandOptionType.String, value };
    },
  );
  return {
    ...base(input.user, where),
    type: InteractionType.ApplicationCommand,
    data: {
      id: nextId(),
      name: input.command,
      type: ApplicationCommandType.ChatInput,
      guild_id: where.guildId,
      options:
        input.subcommand === undefined
          ? values
          : [{ name: input.subcommand, type: ApplicationCommandOptionType.Subcommand, options: values }],
    },
  };
}

export function buttonClick(input: {
  user: FakeUser;
  customId: string;
  message: APIMessage;
}): APIMessageComponentGuildInteraction {
  return {
    ...base(input.user, { guildId: discordIds.guild, channelId: input.message.channel_id }),
    type: InteractionType.MessageComponent,
    message: input.message,
    data: { custom_id: input.customId, component_type: ComponentType.Button },
  };
}

export function modalSubmit(input: {
  user: FakeUser;
  customId: string;
  values: Record<string, string>;
  message: APIMessage;
}): APIModalSubmitGuildInteraction {
  return {
    ...base(input.user, { guildId: discordIds.guild, channelId: input.message.channel_id }),
    type: InteractionType.ModalSubmit,
    message: input.message,
    data: {
      custom_id: input.customId,
      components: Object.entries(input.values).map(([customId, value], i) => ({
        type: ComponentType.Label,
        id: i * 2 + 1,
        component: { type: ComponentType.TextInput, id: i * 2 + 2, custom_id: customId, value },
      })),
    },
  };
}

function role(id: string, name: string, position: number): APIRole {
  return {
    id,
    name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position,
    permissions: '0',
    managed: false,
    mentionable: false,
    flags: 0 as RoleFlags,
  };
}

/** The ops guild as GUILD_CREATE sends it to a bot with the Guilds intent: roles, channels, only the bot as member. */
export function opsGuild(): GatewayGuildCreateDispatchData {
  return {
    id: discordIds.guild,
    name: 'Storage ops',
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: discordUsers.rita.id,
    region: 'europe',
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: GuildVerificationLevel.Low,
    default_message_notifications: GuildDefaultMessageNotifications.OnlyMentions,
    explicit_content_filter: GuildExplicitContentFilter.AllMembers,
    roles: [role(discordIds.guild, '@everyone', 0), role(discordIds.operatorsRole, 'operators', 1)],
    emojis: [],
    features: [],
    mfa_level: GuildMFALevel.None,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: GuildSystemChannelFlags.SuppressJoinNotifications,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: GuildPremiumTier.None,
    preferred_locale: Locale.EnglishUS,
    public_updates_channel_id: null,
    nsfw_level: GuildNSFWLevel.Default,
    stickers: [],
    premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null,
    hub_type: null,
    incidents_data: null,
    joined_at: '2026-01-01T00:00:00.000000+00:00',
    large: false,
    unavailable: false,
    member_count: 3,
    voice_states: [],
    members: [
      {
        user: {
          id: discordIds.application,
          username: 'lotus-chatops',
          discriminator: '0',
          global_name: null,
          avatar: null,
          bot: true,
        },
        roles: [],
        joined_at: '2026-01-01T00:00:00.000000+00:00',
        deaf: false,
        mute: false,
        flags: 0 as GuildMemberFlags,
      },
    ],
    channels: [
      {
        id: discordIds.channel,
        type: ChannelType.GuildText,
        guild_id: discordIds.guild,
        name: 'ops',
        position: 0,
        permission_overwrites: [],
        nsfw: false,
        parent_id: null,
        topic: null,
        last_message_id: null,
        rate_limit_per_user: 0,
        flags: 0 as ChannelFlags,
      },
    ],
    threads: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}
