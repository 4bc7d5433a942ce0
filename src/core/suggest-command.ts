/**
 * The known command nearest to what was typed, for "did you mean": case and stray slashes ignored, then at most two
 * edits (Damerau–Levenshtein) away, or a known command that the typed one is a prefix of. Undefined when nothing is
 * close enough to be a likely typo.
 */
export function suggestCommand(typed: string, known: readonly string[]): string | undefined {
  const wanted = typed.toLowerCase().replace(/^\/+/, '');
  if (wanted === '') return undefined;
  if (known.includes(wanted)) return wanted;
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.startsWith(wanted) && wanted.length >= 3 ? 1 : editDistance(wanted, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[rows - 1] as number[])[cols - 1] as number;
}
