/** Resolves once `condition` holds (checked every few ms, for at most 5 s). */
export async function eventually(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the condition did not come true within 5 s');
}
