import { discordLimits } from './discord-limits.js';

/** What a button or modal stands for: a vote on one approval request, or the reason form of a deny. */
export interface ApprovalCustomId {
  kind: 'approve' | 'deny' | 'deny-reason';
  requestId: string;
}

const pattern = /^(approve|deny|deny-reason):([A-Za-z0-9]{1,64})$/;

/**
 * Buttons carry the request id in their custom id (`approve:K7M2Q9`), so a click is routed by its text alone, backed
 * by the store: approvals keep working after a restart, unlike in-memory collectors.
 */
export const customIds = {
  encode(kind: ApprovalCustomId['kind'], requestId: string): string {
    const id = `${kind}:${requestId}`;
    if (!pattern.test(id) || id.length > discordLimits.customId)
      throw new RangeError(`not a valid approval request id: ${requestId}`);
    return id;
  },

  /** Undefined for custom ids this adapter did not make (another bot feature, an old message). */
  parse(customId: string): ApprovalCustomId | undefined {
    const match = pattern.exec(customId);
    if (!match) return undefined;
    return { kind: match[1] as ApprovalCustomId['kind'], requestId: match[2] as string };
  },
};
