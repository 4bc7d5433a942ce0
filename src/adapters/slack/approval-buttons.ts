import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { Reply } from '../../core/reply.js';
import type { Runtime } from '../../core/runtime.js';
import { denyReasonModal, readDenyReason } from './deny-reason-modal.js';
import type { SlackIdentity } from './identity.js';
import { escapeMrkdwn, renderReply, type SlackBlock, slackLimits } from './render.js';
import type { ResponseUrl } from './response-url.js';
import type { BlockActionPayload, EchoedBlock, ViewSubmissionPayload } from './slack-payloads.js';
import type { SlackPoster } from './slack-poster.js';

export interface ApprovalButtonsDeps {
  runtime: Runtime;
  identity: SlackIdentity;
  poster: SlackPoster;
  client: webApi.WebClient;
  responseUrl(url: string): ResponseUrl;
  clock: Clock;
  log: Logger;
}

/** Where a request message is and what it showed, as far as the click or the Deny form tells. */
interface RequestMessage {
  requestId: string;
  channelId: string;
  messageTs?: string;
  blocks?: EchoedBlock[];
  respond?: ResponseUrl;
  userId: string;
}

const headerSchema = z.object({ type: z.literal('header'), text: z.object({ text: z.string() }) });
const rememberMs = 60 * 60_000;
const rememberAtMost = 500;

/**
 * Approve and Deny buttons under an approval request. A click goes through `runtime.voteFrom`, the same gate as
 * /approvals (RBAC, never the requester, expiry); the adapter only shows what the runtime decided:
 * - refused (the requester, a viewer, expired): told to the clicker alone, the buttons stay for others;
 * - recorded, more approvals needed: the message notes who approved, the buttons stay;
 * - decided: the message is updated with blocks (a text-only update would keep the buttons), without the buttons,
 *   naming who decided and showing the outcome.
 * Deny first asks for the reason in a modal; the submission carries the request in its private_metadata.
 */
export class ApprovalButtons {
  /** The request message as the Deny click saw it, to rebuild it when the reason comes back (the form has no copy). */
  private readonly shown = new Map<string, { blocks: EchoedBlock[]; at: number }>();

  constructor(private readonly deps: ApprovalButtonsDeps) {}

  async click(payload: BlockActionPayload): Promise<void> {
    const match = /^(approve|deny):(.+)$/.exec(payload.actions[0]?.action_id ?? '');
    const channelId = payload.channel?.id ?? payload.container?.channel_id;
    const requestId = match?.[2];
    if (!requestId || !channelId) {
      this.deps.log.warn(
        { action: payload.actions[0]?.action_id },
        'a button click without a request or channel was ignored',
      );
      return;
    }
    const decision = match?.[1] === 'deny' ? 'deny' : 'approve';
    const messageTs = payload.message?.ts ?? payload.container?.message_ts;
    const where: RequestMessage = {
      requestId,
      channelId,
      userId: payload.user.id,
      ...(messageTs ? { messageTs } : {}),
      ...(payload.message ? { blocks: payload.message.blocks } : {}),
      ...(payload.response_url ? { respond: this.deps.responseUrl(payload.response_url) } : {}),
    };
    if (decision === 'deny') {
      await this.askForReason(payload, where);
      return;
    }
    const principal = await this.deps.identity.principalOf(payload.user.id, payload.user.username ?? payload.user.name);
    await this.decide('approve', where, () =>
      this.deps.runtime.voteFrom(principal, { platform: 'slack', id: channelId }, requestId, 'approve'),
    );
  }

  async submitDenyReason(payload: ViewSubmissionPayload): Promise<void> {
    const form = readDenyReason(payload.view);
    if (!form) {
      this.deps.log.warn(
        { callbackId: payload.view.callback_id },
        'a Deny form came back without its request; ignored',
      );
      return;
    }
    const { metadata, reason } = form;
    const blocks = this.shown.get(metadata.requestId)?.blocks;
    const where: RequestMessage = {
      requestId: metadata.requestId,
      channelId: metadata.channelId,
      userId: payload.user.id,
      ...(metadata.messageTs ? { messageTs: metadata.messageTs } : {}),
      ...(blocks ? { blocks } : {}),
      ...(metadata.responseUrl ? { respond: this.deps.responseUrl(metadata.responseUrl) } : {}),
    };
    const principal = await this.deps.identity.principalOf(payload.user.id, payload.user.username ?? payload.user.name);
    await this.decide('deny', where, async () => {
      const reply = await this.deps.runtime.voteFrom(
        principal,
        { platform: 'slack', id: metadata.channelId },
        metadata.requestId,
        'deny',
        reason,
      );
      if (!reply.ephemeral) this.shown.delete(metadata.requestId);
      return reply;
    });
  }

  /**
   * A vote from the request's own message. While it is decided, the poster leaves that message to this click (which
   * updates it once, below); if the click did not decide it but something else closed it meanwhile, that is shown.
   */
  private async decide(decision: 'approve' | 'deny', where: RequestMessage, vote: () => Promise<Reply>): Promise<void> {
    const requests = this.deps.poster.requests;
    requests.claim(where.requestId);
    let decided = false;
    try {
      const reply = await vote();
      decided = !reply.ephemeral && (decision === 'deny' || reply.outcome !== undefined);
      await this.show(decision, reply, where);
    } finally {
      const meanwhile = requests.release(where.requestId, decided);
      if (meanwhile) {
        await this.deps.poster
          .showClosed(where.requestId, meanwhile.where, meanwhile.outcome)
          .catch((error: unknown) =>
            this.deps.log.warn({ err: error, requestId: where.requestId }, 'could not show a closed approval request'),
          );
      }
    }
  }

  private async askForReason(payload: BlockActionPayload, where: RequestMessage): Promise<void> {
    if (where.blocks?.length) this.remember(where.requestId, where.blocks);
    const header = where.blocks?.map((b) => headerSchema.safeParse(b)).find((r) => r.success)?.data?.text.text;
    try {
      await this.deps.client.views.open({
        trigger_id: payload.trigger_id,
        view: denyReasonModal(
          {
            requestId: where.requestId,
            channelId: where.channelId,
            ...(where.messageTs ? { messageTs: where.messageTs } : {}),
            ...(payload.response_url ? { responseUrl: payload.response_url } : {}),
          },
          `Deny request ${where.requestId}${header ? `: ${header}` : ''}`,
        ),
      });
    } catch (error) {
      this.deps.log.warn({ err: error, requestId: where.requestId }, 'could not open the Deny form');
      await this.tellClicker(where, {
        title: 'The Deny form could not be opened',
        severity: 'warning',
        blocks: [{ kind: 'text', text: `Deny with /approvals deny ${where.requestId} REASON instead.` }],
      });
    }
  }

  /**
   * How a decision is shown depends on the runtime's reply: `ephemeral` is a refusal for the clicker; an approval
   * without an `outcome` only recorded a vote (the execution's reply always carries one); anything else closed the
   * request.
   */
  private async show(decision: 'approve' | 'deny', reply: Reply, where: RequestMessage): Promise<void> {
    if (reply.ephemeral) {
      await this.tellClicker(where, reply);
      return;
    }
    if (decision === 'approve' && reply.outcome === undefined) {
      await this.tellClicker(where, reply);
      if (where.messageTs && where.blocks?.length) {
        const note: SlackBlock = {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: `:ballot_box_with_check: Approved by <@${where.userId}>` }],
        };
        const at = where.blocks.findIndex((b) => b.block_id === `approval:${where.requestId}`);
        const blocks =
          at < 0 ? [...where.blocks, note] : [...where.blocks.slice(0, at), note, ...where.blocks.slice(at)];
        await this.replace(where, { text: `Approved by <@${where.userId}>`, blocks });
      }
      return;
    }
    await this.close(decision, reply, where);
  }

  /**
   * The request message without its buttons, then who decided and the outcome; what does not fit in one message goes
   * to its thread.
   */
  private async close(decision: 'approve' | 'deny', reply: Reply, where: RequestMessage): Promise<void> {
    const line =
      decision === 'approve'
        ? `:white_check_mark: Approved by <@${where.userId}>`
        : `:no_entry_sign: Denied by <@${where.userId}>`;
    const kept = (where.blocks ?? []).filter((b) => b.block_id !== `approval:${where.requestId}`);
    const head = kept.length ? [...kept, { type: 'divider' } as SlackBlock] : [];
    const outcome = renderReply(reply);
    const text = `${decision === 'approve' ? 'Approved' : 'Denied'}: ${escapeMrkdwn(reply.title)}`;
    let first = { text, blocks: [...head, context(line), ...(outcome[0]?.blocks ?? [])] };
    let rest = outcome.slice(1);
    if (
      JSON.stringify(first.blocks).length > slackLimits.messageChars ||
      first.blocks.length > slackLimits.blocksPerMessage
    ) {
      first = { text, blocks: [...head, context(`${line}. The outcome follows in the thread.`)] };
      rest = outcome;
    }
    const ts = await this.replace(where, first);
    for (const message of rest) {
      await this.deps.poster
        .postMessage(where.channelId, message, ts ? { threadTs: ts } : {})
        .catch((error: unknown) =>
          this.deps.log.error({ err: error, requestId: where.requestId }, 'could not post part of an approval outcome'),
        );
    }
  }

  /** Updates the request message in place, or through the click's response_url, or else posts anew; returns its ts. */
  private async replace(
    where: RequestMessage,
    message: { text: string; blocks: Array<SlackBlock | EchoedBlock> },
  ): Promise<string | undefined> {
    if (where.messageTs) {
      try {
        await this.deps.poster.update(where.channelId, where.messageTs, message);
        return where.messageTs;
      } catch (error) {
        this.deps.log.info(
          { err: error, requestId: where.requestId },
          'chat.update of the request message failed; trying response_url',
        );
      }
      if (where.respond) {
        try {
          await where.respond.send({
            replace_original: true,
            text: message.text,
            blocks: message.blocks as SlackBlock[],
          });
          return where.messageTs;
        } catch (error) {
          this.deps.log.info(
            { err: error, requestId: where.requestId },
            'response_url could not replace the request message either',
          );
        }
      }
    }
    try {
      return await this.deps.poster.postMessage(where.channelId, {
        text: message.text,
        blocks: message.blocks as SlackBlock[],
      });
    } catch (error) {
      this.deps.log.error(
        { err: error, requestId: where.requestId },
        'could not show the decision on an approval request in Slack',
      );
      return undefined;
    }
  }

  private async tellClicker(where: RequestMessage, reply: Reply): Promise<void> {
    for (const message of renderReply(reply)) {
      try {
        if (where.respond)
          await where.respond.send({
            response_type: 'ephemeral',
            replace_original: false,
            text: message.text,
            blocks: message.blocks,
          });
        else await this.deps.poster.postEphemeral(where.channelId, where.userId, message);
      } catch (error) {
        this.deps.log.warn({ err: error, requestId: where.requestId }, 'could not answer the person who clicked');
      }
    }
  }

  private remember(requestId: string, blocks: EchoedBlock[]): void {
    const now = this.deps.clock.now();
    for (const [id, entry] of this.shown) {
      if (now - entry.at > rememberMs || this.shown.size >= rememberAtMost) this.shown.delete(id);
      else break;
    }
    this.shown.delete(requestId);
    this.shown.set(requestId, { blocks, at: now });
  }
}

function context(mrkdwn: string): SlackBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwn }] };
}
