/**
 * The loopback interface of the namespace the tests run in. `npm test` runs
 * vitest under `unshare -n`, whose fresh namespace has `lo` down (no
 * 127.0.0.1): tests that serve HTTP on 127.0.0.1 bring it up first. Bringing
 * up the loopback of a namespace changes nothing else in it; where it is up
 * already (a developer's shell), nothing is run.
 */
import { execFileSync } from 'node:child_process'

/** Brings `lo` up if it is down. */
export function loopbackUp(): void {
  const flags = execFileSync('ip', ['-o', 'link', 'show', 'lo'], { encoding: 'utf8' })
  if (/<[^>]*\bUP\b[^>]*>/.test(flags)) return
  execFileSync('ip', ['link', 'set', 'lo', 'up'])
}
