#!/usr/bin/env node
/**
 * The `nftkit` command (see `nftkit help`). Exit codes: 0 success, 1 a usage
 * error or bad input or a kernel refusal (the message names the file, line,
 * column and field, or the object the kernel refused; the kernel is then
 * unchanged), 2 `plan` with changes pending, 70 an internal error of nftkit
 * (a bug: the message says so and asks for a report).
 * @module
 */
import { readFileSync } from 'node:fs'
import { parsePrivilegedEndpoint } from '../netpol/node-policy-compile.js'
import { InventoryError, readInventory } from '../policies/validate-inventory.js'
import { NftError, NftValidationError } from '../kernel/errors.js'
import { NftSyntaxError } from '../nft/parser.js'
import { InputError } from '../sources/files.js'
import { commandHelp, parseArgs, USAGE, UsageError } from './args.js'
import { packageVersion } from '../io/version.js'
import { parseWebhookArgs, runWebhook } from './webhook.js'
import { parseControllerArgs, runControllerCommand } from './controller.js'
import { apply, list, planText, policiesYaml, remove, render, status, statusText, watch } from './commands.js'

export { apply, list, planText, policiesYaml, remove, render, status, watch } from './commands.js'
export type { WatchOptions } from './commands.js'
export { loadFiles } from '../sources/files.js'

/** The cluster-manifest options of the command line. */
const sources = (a: ReturnType<typeof parseArgs>) => ({
  ...(a.node !== undefined ? { node: a.node } : {}),
  ...(a.interfaces !== undefined ? { interfaces: a.interfaces } : {}),
  ...(a.includePath !== undefined ? { includePath: a.includePath } : {}),
  ...(a.privileged !== undefined ? { privileged: a.privileged.map((e, i) => parsePrivilegedEndpoint(e, `--privileged[${i}]`)) } : {}),
})

/** Runs the CLI; returns the exit code. */
export function main(argv: string[], out = process.stdout, err = process.stderr): number {
  try {
    const a = parseArgs(argv)
    if (a.help && a.cmd !== 'help') return help(a.cmd, out)
    switch (a.cmd) {
      case 'apply': {
        if (a.files.length === 0) throw new UsageError('apply needs at least one file')
        const r = apply(a.files, a.netns, a.selector, sources(a))
        err.write(`applied ${r.operations} operations in one batch (${r.messages} netlink messages)\n`)
        return 0
      }
      case 'plan': {
        if (a.files.length === 0) throw new UsageError('plan needs at least one file')
        const lines = planText(a.files, a.netns, a.selector, sources(a))
        if (lines.length) out.write(`${lines.join('\n')}\n`)
        return lines.length ? 2 : 0
      }
      case 'render':
        if (a.files.length === 0) throw new UsageError('render needs at least one file')
        out.write(render(a.files, a.selector, sources(a)))
        return 0
      case 'list':
        if (a.files.length > 1) throw new UsageError('list takes at most one table name')
        out.write(list(a.netns, a.files[0]))
        return 0
      case 'delete': {
        if (a.files.length === 0) throw new UsageError('delete needs at least one file')
        const n = remove(a.files, a.netns, a.selector, sources(a))
        err.write(`deleted ${n} table(s) in one batch\n`)
        return 0
      }
      case 'status': {
        if (a.files.length === 0) throw new UsageError('status needs files or table names')
        const st = status(a.files, a.netns, a.selector, sources(a))
        out.write(a.json ? `${JSON.stringify(st, null, 2)}\n` : `${statusText(st)}\n`)
        return 0
      }
      case 'policies': {
        const [file, ...kinds] = a.files
        if (!file) throw new UsageError('policies needs an inventory file (YAML or JSON)')
        out.write(policiesYaml(readInventory(readFileSync(file, 'utf8'), file), kinds))
        return 0
      }
      case '-h':
      case '--help':
      case 'help':
        if (a.files.length) return help(a.files[0], out)
        out.write(`${USAGE}\n`)
        return 0
      case 'watch':
      case 'webhook':
      case 'controller':
        throw new UsageError(`${a.cmd} runs until it is stopped: call run(), not main()`)
      case '-V':
      case '--version':
      case 'version':
        out.write(`nftkit ${packageVersion()}\n`)
        return 0
      default:
        throw new UsageError(a.cmd ? `unknown command ${a.cmd}` : 'missing command')
    }
  } catch (e) {
    return report(e, err)
  }
}

/** Writes an error for a user and returns the exit code: 1, or 70 for an internal error. */
function report(e: unknown, err: NodeJS.WritableStream): number {
  if (e instanceof UsageError) err.write(`nftkit: ${e.message}\n${USAGE}\n`)
  else if (isUserFacing(e)) err.write(`nftkit: ${e.message}\n`)
  else {
    err.write(`nftkit: internal error in nftkit, please report: ${describeInternal(e)}\n`)
    return EXIT_INTERNAL
  }
  return 1
}

/** Exit code of an internal error (BSD's EX_SOFTWARE). */
export const EXIT_INTERNAL = 70

function help(cmd: string, out: NodeJS.WritableStream): number {
  const text = commandHelp(cmd)
  if (!text) throw new UsageError(`unknown command ${cmd}`)
  out.write(`${text}\n`)
  return 0
}

/** Errors whose message is written for a user: bad input, a kernel refusal, a file that cannot be read. */
function isUserFacing(e: unknown): e is Error {
  return (
    e instanceof NftSyntaxError ||
    e instanceof NftValidationError ||
    e instanceof NftError ||
    e instanceof InputError ||
    e instanceof InventoryError ||
    // Node's system errors (ENOENT opening a file, EACCES, ...) name the file and the errno.
    (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string')
  )
}

function describeInternal(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message.slice(0, 500)}`
  return String(e).slice(0, 500)
}

/**
 * Runs the CLI including the long-running `watch` (until SIGINT or SIGTERM);
 * resolves to the exit code.
 */
export async function run(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  if (argv[0] === 'webhook') return webhook(argv.slice(1), out, err)
  if (argv[0] === 'controller') return controller(argv.slice(1), out, err)
  let a: ReturnType<typeof parseArgs>
  try {
    a = parseArgs(argv)
  } catch {
    return main(argv, out, err) // reports the usage error
  }
  if (a.cmd !== 'watch' || a.help) return main(argv, out, err)
  if (a.files.length === 0) return report(new UsageError('watch needs at least one file or directory'), err)
  const ac = new AbortController()
  const stop = () => ac.abort()
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, stop)
  try {
    await watch(a.files, { netns: a.netns, selector: a.selector, ...sources(a), signal: ac.signal })
    return 0
  } catch (e) {
    return report(e, err)
  } finally {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.off(sig, stop)
  }
}

/** `nftkit webhook` (its own options: lib/cli/webhook.ts). */
async function webhook(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const ac = new AbortController()
  const stop = () => ac.abort()
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, stop)
  try {
    const a = parseWebhookArgs(argv)
    if (a.help) return help('webhook', out)
    await runWebhook(a, err, ac.signal)
    return 0
  } catch (e) {
    return report(e, err)
  } finally {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.off(sig, stop)
  }
}

/** `nftkit controller` (its own options: lib/cli/controller.ts). */
async function controller(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const ac = new AbortController()
  const stop = () => ac.abort()
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, stop)
  try {
    const a = parseControllerArgs(argv)
    if (a.help) return help('controller', out)
    await runControllerCommand(a, err, ac.signal)
    return 0
  } catch (e) {
    return report(e, err)
  } finally {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.off(sig, stop)
  }
}

const invoked = process.argv[1] ?? ''
if (/cli(\/main)?\.(ts|js|cjs|mjs)$/.test(invoked) || invoked.endsWith('/nftkit')) {
  run(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  })
}
