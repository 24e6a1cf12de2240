/** Polling helpers for tests that watch another process or the kernel change. */

/** Resolves true as soon as `cond()` holds, or with its last value after `ms` milliseconds. */
export async function until(cond: () => boolean, ms: number, everyMs = 10): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (cond()) return true
    await new Promise((r) => setTimeout(r, everyMs))
  }
  return cond()
}
