/**
 * Running `ip` (and friends) for the testbed: asynchronous so independent
 * namespaces are configured in parallel, plus a synchronous variant for the
 * process-exit cleanup. Never runs anything in the caller's own namespace
 * except `ip netns add/del`, which only manage /run/netns.
 * @module
 */
import { execFileSync, spawn } from 'node:child_process'

/** Runs a command, feeding `input` on stdin; resolves stdout, rejects with stderr in the message. */
export function run(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(out)
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err.trim()}${input ? `\ninput:\n${input}` : ''}`))
    })
    child.stdin.on('error', () => {
      /* reported through the exit code */
    })
    child.stdin.end(input ?? '')
  })
}

/**
 * Runs `ip -batch -` with the given lines, inside `netns` when given.
 * With `force`, failing lines do not stop the batch and do not reject.
 */
export async function ipBatch(netns: string | undefined, lines: readonly string[], force = false): Promise<void> {
  if (lines.length === 0) return
  const args = [...(netns ? ['-n', netns] : []), ...(force ? ['-force'] : []), '-batch', '-']
  try {
    await run('ip', args, `${lines.join('\n')}\n`)
  } catch (e) {
    if (!force) throw e
  }
}

/** Runs `argv` inside the namespace with `ip netns exec`. */
export function netnsExec(netns: string, argv: readonly string[], input?: string): Promise<string> {
  return run('ip', ['netns', 'exec', netns, ...argv], input)
}

/** Deletes namespaces synchronously, ignoring those already gone (for exit handlers). */
export function deleteNamespacesSync(names: readonly string[]): void {
  if (names.length === 0) return
  try {
    execFileSync('ip', ['-force', '-batch', '-'], {
      input: names.map((n) => `netns del ${n}`).join('\n') + '\n',
      stdio: ['pipe', 'ignore', 'ignore'],
    })
  } catch {
    /* some were already gone */
  }
}

/** The names under /run/netns (what `ip netns list` shows). */
export async function listNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list'])
  return out
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean)
}

let pythonPath: string | undefined

/**
 * The real python3 executable (resolved once: version-manager shims such as
 * pyenv's cost tens of milliseconds per start).
 */
export function python(): string {
  if (pythonPath === undefined) {
    try {
      pythonPath = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim() || 'python3'
    } catch {
      pythonPath = 'python3'
    }
  }
  return pythonPath
}
