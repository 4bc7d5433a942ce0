/** "/pledge 3 mode=fill" → { command: 'pledge', text: '3 mode=fill' }; undefined for a line that is not a command. */
export function splitCommandLine(line: string): { command: string; text: string } | undefined {
  const match = /^\s*\/?([a-z][a-z0-9-]*)(?:\s+([\s\S]*))?$/.exec(line);
  if (!match) return undefined;
  return { command: match[1] as string, text: (match[2] ?? '').trim() };
}
