import type { types } from '@slack/bolt';
import { z } from 'zod';
import type { ViewSubmissionPayload } from './slack-payloads.js';

export const denyReasonCallbackId = 'lotus-deny-reason';
const reasonBlock = 'reason';
const reasonAction = 'reason';

/** What the modal carries from the click to its submission (private_metadata, at most 3,000 characters). */
const metadataSchema = z.object({
  requestId: z.string().min(1),
  channelId: z.string().min(1),
  messageTs: z.string().optional(),
  responseUrl: z.string().optional(),
});
export type DenyReasonMetadata = z.output<typeof metadataSchema>;

/**
 * The modal a Deny click opens: the reason is required (3 to 500 characters, as /approvals deny asks), and Slack checks
 * its length before the submission reaches the bot.
 */
export function denyReasonModal(metadata: DenyReasonMetadata, title: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: denyReasonCallbackId,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Deny request' },
    submit: { type: 'plain_text', text: 'Deny' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'plain_text', text: `${title.slice(0, 2_900)}` } },
      {
        type: 'input',
        block_id: reasonBlock,
        label: { type: 'plain_text', text: 'Why? (shown to the requester)' },
        element: { type: 'plain_text_input', action_id: reasonAction, multiline: true, min_length: 3, max_length: 500 },
      },
    ],
  };
}

/** The request and reason from a submitted modal; undefined when the metadata is not ours. */
export function readDenyReason(
  view: ViewSubmissionPayload['view'],
): { metadata: DenyReasonMetadata; reason: string } | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(view.private_metadata);
  } catch {
    return undefined;
  }
  const metadata = metadataSchema.safeParse(raw);
  if (!metadata.success) return undefined;
  const reason = view.state.values[reasonBlock]?.[reasonAction]?.value?.trim() ?? '';
  return { metadata: metadata.data, reason };
}
