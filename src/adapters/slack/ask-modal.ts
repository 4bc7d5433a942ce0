import type { types } from '@slack/bolt';
import { z } from 'zod';
import type { ViewSubmissionPayload } from './slack-payloads.js';

export const askCallbackId = 'lotus-ask';
const answerBlock = 'answer';
const answerAction = 'answer';

/** What the form carries from the click to its submission (private_metadata, at most 3,000 characters). */
const metadataSchema = z.object({
  command: z.string().regex(/^\/\S/),
  channelId: z.string().min(1),
  responseUrl: z.string().optional(),
});
export type AskMetadata = z.output<typeof metadataSchema>;

/**
 * The form a button that needs more text opens (a deny's reason): the prompt is the command's own description of that
 * text, and the answer completes the command line the button carries.
 */
export function askModal(metadata: AskMetadata, what: { title: string; prompt: string }): types.ModalView {
  return {
    type: 'modal',
    callback_id: askCallbackId,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: what.title.slice(0, 24) },
    submit: { type: 'plain_text', text: what.title.slice(0, 24) },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'context', elements: [{ type: 'plain_text', text: metadata.command.slice(0, 2_900) }] },
      {
        type: 'input',
        block_id: answerBlock,
        label: { type: 'plain_text', text: what.prompt.slice(0, 2_000) },
        element: { type: 'plain_text_input', action_id: answerAction, multiline: true, max_length: 500 },
      },
    ],
  };
}

/** The command line and the answer from a submitted form; undefined when the form is not ours. */
export function readAnswer(view: ViewSubmissionPayload['view']): { metadata: AskMetadata; answer: string } | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(view.private_metadata);
  } catch {
    return undefined;
  }
  const metadata = metadataSchema.safeParse(raw);
  if (!metadata.success) return undefined;
  const answer = view.state.values[answerBlock]?.[answerAction]?.value?.trim() ?? '';
  return { metadata: metadata.data, answer };
}
