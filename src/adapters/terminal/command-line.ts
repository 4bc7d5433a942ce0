/**
 * "/pledge 3 mode=fill" → { command: 'pledge', text: '3 mode=fill' }; undefined for an empty line. The command word is
 * taken as typed (case, extra slashes and all): the runtime says "unknown command …, did you mean …" about it.
 */
export function splitCommandLine(line: string): { command: string; text: string } | undefined {
  const match = /^\s*\/?(\S+)(?:\s+([\s\S]*))?$/.exec(line);
  if (!match) return undefined;
  return { command: match[1] as string, text: (match[2] ?? '').trim() };
}
