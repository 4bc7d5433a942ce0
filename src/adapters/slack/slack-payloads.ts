import { z } from 'zod';

/**
 * The parts of Slack's payloads the adapter relies on. Bolt types them loosely; these schemas are the boundary where
 * a payload of the wrong shape is refused with a log line instead of failing somewhere deeper.
 */

const userRef = z.looseObject({ id: z.string().min(1), username: z.string().optional(), name: z.string().optional() });

/** A slash command, from a Socket Mode envelope or HTTP form fields. */
export const slashCommandSchema = z.looseObject({
  command: z.string().regex(/^\/[^\s/]+$/),
  text: z.string().default(''),
  user_id: z.string().min(1),
  user_name: z.string().optional(),
  channel_id: z.string().min(1),
  channel_name: z.string().optional(),
  team_id: z.string().optional(),
  response_url: z.url(),
  trigger_id: z.string().optional(),
});
export type SlashCommandPayload = z.output<typeof slashCommandSchema>;

/** A block as Slack echoes it back in a message: kept as it is, only its type and id are read. */
export const echoedBlockSchema = z.looseObject({ type: z.string(), block_id: z.string().optional() });
export type EchoedBlock = z.output<typeof echoedBlockSchema>;

/** A click on one of the bot's buttons: the command line is its value, the label its text. */
export const blockActionSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: userRef,
  channel: z.looseObject({ id: z.string().min(1), name: z.string().optional() }).optional(),
  container: z.looseObject({ channel_id: z.string().optional(), message_ts: z.string().optional() }).optional(),
  message: z.looseObject({ ts: z.string(), blocks: z.array(echoedBlockSchema).default([]) }).optional(),
  response_url: z.url().optional(),
  trigger_id: z.string().min(1),
  actions: z
    .array(
      z.looseObject({
        action_id: z.string(),
        value: z.string().optional(),
        text: z.looseObject({ text: z.string() }).optional(),
      }),
    )
    .min(1),
});
export type BlockActionPayload = z.output<typeof blockActionSchema>;

/** A button's form, submitted. */
export const viewSubmissionSchema = z.looseObject({
  type: z.literal('view_submission'),
  user: userRef,
  view: z.looseObject({
    id: z.string().optional(),
    callback_id: z.string(),
    private_metadata: z.string(),
    state: z.looseObject({
      values: z.record(z.string(), z.record(z.string(), z.looseObject({ value: z.string().nullable().optional() }))),
    }),
  }),
});
export type ViewSubmissionPayload = z.output<typeof viewSubmissionSchema>;

/** What a Web API post answers with; only the message's timestamp is needed (to update it later). */
export const postedMessageSchema = z.looseObject({
  ok: z.literal(true),
  ts: z.string().min(1),
  channel: z.string().optional(),
});

/** usergroups.list with include_users. */
export const userGroupsSchema = z.looseObject({
  ok: z.literal(true),
  usergroups: z.array(z.looseObject({ id: z.string().min(1), users: z.array(z.string()).optional() })),
});
