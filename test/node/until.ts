/**
 * Polls `probe` until it returns something other than `undefined`, and returns that; fails
 * after `timeoutMs`.
 *
 * @example
 * const message = await until(async () => (await inbox(to))[0], { timeoutMs: 10_000 });
 */
export async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 20_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
