import { randomBytes } from 'node:crypto';

/** Short enough to read aloud in chat, unique enough to find one request in the log. */
export function newCorrelationId(): string {
  return randomBytes(5).toString('hex');
}
