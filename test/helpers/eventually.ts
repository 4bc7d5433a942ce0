/** Resolves once `condition` holds (checked every few ms), or rejects after `withinMs` (default 5 s). */
export async function eventually(condition: () => Promise<boolean>, withinMs = 5_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (await condition()) return;
  throw new Error(`the condition did not come true within ${withinMs} ms`);
}
