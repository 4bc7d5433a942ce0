import { z } from 'zod';
import type { ApprovalRecord, ExecutionRecord, Store, StoreEvent, VoteOrigin } from '../../store/store.js';
import type { ChannelPosters } from '../channel-poster.js';
import type { Clock } from '../clock.js';
import type { ChannelRef, JournalRecord } from '../command.js';
import type { SubjectHandler } from '../messages/chat-updates.js';
import { type Block, block, type Reply } from '../reply.js';
import { approvalMessage, approvalSubject } from './approval-message.js';

export interface ApprovalMessagesOptions {
  store: Store;
  posters: ChannelPosters;
  clock: Clock;
  /** What an interrupted execution had done, in the command's own words (from its journal entries). */
  describeProgress(command: string, entries: JournalRecord[]): Block[];
  /** What to check before a continuation, in the command's own words (undefined: the checkpoint is listed). */
  describeCheckpoint?(command: string, checkpoint: Record<string, unknown>): string | undefined;
}

/** A reply as it was stored (an outcome, a plan): read back with only what rendering needs. */
const storedReply = z.looseObject({
  title: z.string(),
  severity: z.enum(['info', 'success', 'warning', 'error']).optional(),
  blocks: z.array(z.looseObject({ kind: z.string() })),
  correlationId: z.string().optional(),
});
const storedOrigin = z.object({
  by: z.string().optional(),
  platform: z.string(),
  channelId: z.string(),
  trigger: z.enum(['typed', 'button']),
});

/**
 * How an approval request's messages follow it (subjects `approval:ID`): whichever process decided it (a click here,
 * `/approvals` typed anywhere, `exec` on another host, the expiry job), its message is updated in place (buttons
 * gone once decided, progress, the outcome), and what people must read is answered in its thread: the outcome, a
 * deny, an expiry, an interruption. A continuation, which nobody typed, is posted by the bot itself.
 */
export function approvalMessages(options: ApprovalMessagesOptions): SubjectHandler {
  return { prefix: 'approval', apply: (id, events) => applyToApproval(options, id, events) };
}

async function applyToApproval(options: ApprovalMessagesOptions, id: string, events: StoreEvent[]): Promise<void> {
  const { store, posters } = options;
  const approval = await store.getApproval(id);
  if (!approval) return;
  const execution = await store.getExecution(id);
  const subject = approvalSubject(id);
  const plan = planReply(approval);
  const outcome = execution?.resultJson ? readReply(execution.resultJson) : undefined;
  const progress = [...events].reverse().find((e) => e.kind === 'execution.progress')?.data.text;
  const parent = approval.kind === 'continue' ? await store.getExecution(approval.parentId ?? '') : undefined;
  const view = approvalMessage({
    approval,
    plan,
    execution,
    outcome,
    progress: typeof progress === 'string' ? progress : undefined,
    checkpoint: parent?.checkpoint ?? undefined,
    uncertain:
      approval.kind === 'continue' && parent?.checkpoint
        ? options.describeCheckpoint?.(approval.command, parent.checkpoint)
        : undefined,
  });
  const home: ChannelRef = { platform: approval.channelPlatform, id: approval.channelId };

  if (events.some((e) => e.kind === 'approval.requested') && approval.kind === 'continue') {
    // Nobody typed a continuation: the bot opened it, so the bot posts it where the original request was.
    const ref = await posters.post(home, view);
    if (ref) await store.saveMessageRef(subject, ref, options.clock.now());
  }
  const refs = await store.messageRefs(subject);
  // A message just posted shows the request as it was asked; it needs an update only if it changed meanwhile.
  const changed = events.some((e) => e.kind !== 'approval.requested' && e.kind !== 'message.posted');
  const postedStale = events.some((e) => e.kind === 'message.posted') && !asRequested(approval);
  if (changed || postedStale) for (const ref of refs) await posters.update(ref, view);

  /** In the request's thread; without a message of its own, in its channel unless the decider's answer was there. */
  const tell = async (reply: Reply, decidedAt: VoteOrigin | undefined, always = false): Promise<void> => {
    const [first] = refs;
    if (first) await posters.replyInThread(first, reply);
    else if (always || !decidedAt || decidedAt.platform !== home.platform || decidedAt.channelId !== home.id)
      await posters.post(home, reply);
  };
  for (const event of events) {
    switch (event.kind) {
      case 'approval.denied': {
        const origin = storedOrigin.safeParse(event.data);
        if (origin.success && answeredInPlace(origin.data, home)) break;
        await tell(
          {
            title: `Denied: /${approval.command} (${approval.id})`,
            severity: 'warning',
            blocks: [
              block.text(
                `${approval.requestedBy}: ${approval.decidedBy ?? 'someone'} denied your request${approval.denyReason ? `: ${approval.denyReason}` : '.'} Nothing was done.`,
              ),
            ],
          },
          origin.success ? origin.data : undefined,
        );
        break;
      }
      case 'approval.expired':
        await tell(
          {
            title: `Approval request ${approval.id} expired: /${approval.command}`,
            severity: 'warning',
            blocks: [
              block.text(
                `Requested by ${approval.requestedBy}; ${approval.approvedBy.length} of ${approval.requiredApprovals} approval(s) came in. Nothing was done. Run the command again to open a new request.`,
              ),
            ],
          },
          undefined,
        );
        break;
      case 'execution.finished': {
        if (!outcome || !execution) break;
        const origin = execution.origin ?? undefined;
        // An outcome that came after the interruption was announced is news to everyone.
        const late = event.data.late === true;
        if (origin && answeredInPlace(origin, home) && !late) break;
        await tell({ ...outcome, blocks: [...outcome.blocks, ...decidedBy(approval, execution)] }, origin, late);
        break;
      }
      case 'execution.note': {
        const note = readReply(JSON.stringify(event.data.reply ?? null));
        if (note) await tell(note, undefined, true);
        break;
      }
      case 'execution.interrupted': {
        const entries = (await store.journalOf(approval.id)).map((e) => ({
          at: e.at,
          principal: e.principal,
          approvalId: e.approvalId,
          data: e.data,
        }));
        const done = options.describeProgress(approval.command, entries);
        await tell(
          {
            title: `/${approval.command} (${approval.id}) was interrupted`,
            severity: 'warning',
            blocks: [
              block.notice(
                'warning',
                'The bot process running it stopped (its lease ran out). It was not re-run: check what was done before running the command again.',
              ),
              ...(done.length > 0 ? done : [block.text('It recorded no progress before it stopped.')]),
            ],
          },
          undefined,
        );
        break;
      }
    }
  }
}

function asRequested(approval: ApprovalRecord): boolean {
  return approval.status === 'pending' && approval.votes.length === 0;
}

/** A typed decision in the request's own channel already showed its answer there; a click's answer was private. */
function answeredInPlace(origin: VoteOrigin, home: ChannelRef): boolean {
  return origin.trigger === 'typed' && origin.platform === home.platform && origin.channelId === home.id;
}

function decidedBy(approval: ApprovalRecord, execution: ExecutionRecord): Block[] {
  return [
    block.text(
      `Requested by ${approval.requestedBy}; approved by ${approval.approvedBy.join(', ') || execution.executedBy}.`,
    ),
  ];
}

function planReply(approval: ApprovalRecord): Reply {
  const parsed = z.object({ reply: storedReply }).safeParse(safeJson(approval.planJson));
  if (parsed.success) return parsed.data.reply as unknown as Reply;
  return { title: `/${approval.command}`, blocks: [] };
}

function readReply(json: string): Reply | undefined {
  const parsed = storedReply.safeParse(safeJson(json));
  return parsed.success ? (parsed.data as unknown as Reply) : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
