import { isOpsError } from './errors.js';
import { type Logger, redactSecrets } from './logger.js';
import { block, type Reply } from './reply.js';
import { explainable } from './store-failure.js';

export interface Failure {
  reply: Reply;
  /** The audit entry it makes: `command.usage`, `command.refused`, `command.failed` or `command.error`. */
  audit: { event: string; outcome: string; message: string };
}

/**
 * Every error becomes a reply. A user error (bad input, a refusal, an unreachable host) says what to fix, privately;
 * anything else is logged with its stack and shown only by its correlation id, so no stack trace reaches a chat.
 */
export function failureReply(thrown: unknown, where: { path: string; correlationId: string; log: Logger }): Failure {
  const error = explainable(thrown);
  if (isOpsError(error) && error.user) {
    where.log.info({ code: error.code, msg: error.message }, 'command refused or failed');
    const message = redactSecrets(error.message);
    return {
      reply: {
        title:
          error.kind === 'usage' && error.code === 'USAGE' ? `Usage: /${where.path}` : `/${where.path}: ${error.title}`,
        severity: 'error',
        outcome: error.kind === 'internal' ? 'failed' : error.kind,
        ephemeral: true,
        correlationId: where.correlationId,
        blocks: [block.text(message), ...(error.hint ? [block.text(redactSecrets(error.hint))] : [])],
      },
      audit: { event: `command.${error.kind}`, outcome: error.code, message },
    };
  }
  where.log.error({ err: error }, 'internal error while running a command');
  return {
    reply: {
      title: `/${where.path} failed`,
      severity: 'error',
      outcome: 'failed',
      ephemeral: true,
      correlationId: where.correlationId,
      blocks: [
        block.text(
          `Something went wrong on our side. The details are in the bot's log under reference ${where.correlationId}.`,
        ),
      ],
    },
    audit: { event: 'command.error', outcome: 'INTERNAL', message: 'internal error' },
  };
}
