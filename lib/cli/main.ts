#!/usr/bin/env node
/**
 * The `nftkit` command:
 *
 *   nftkit apply FILE... [--netns NAME|PATH]   make each declared table hold exactly what the files say (one batch)
 *   nftkit render FILE...                      print the nft text the files declare (no kernel)
 *   nftkit list [--netns NAME|PATH] [TABLE]    print the current state as nft text (our own netlink dump)
 *   nftkit watch FILE... [--netns NAME|PATH]   apply, then re-apply on file changes and on foreign changes
 *                                              to the declared tables (nf_tables notifications)
 *   nftkit policies INVENTORY [KIND...]        print generated provider-protection objects as YAML
 *
 * Exit code 0 on success, 1 on any error (with a message naming file, line and
 * column for syntax errors); on error the kernel is unchanged.
 * @module
 */
import { readFileSync } from 'node:fs'
import { InventoryError, readInventory } from '../policies/validate-inventory.js'
import { NftError, NftValidationError } from '../kernel/errors.js'
import { NftSyntaxError } from '../nft/parser.js'
import { InputError } from '../sources/files.js'
import { parseArgs, USAGE, UsageError } from './args.js'
import { apply, list, planText, policiesYaml, remove, render, status, statusText, watch } from './commands.js'

export { apply, list, planText, policiesYaml, remove, render, status, watch } from './commands.js'
export type { WatchOptions } from './commands.js'
export { loadFiles } from '../sources/files.js'

/** Runs the CLI; returns the exit code. */
export function main(argv: string[], out = process.stdout, err = process.stderr): number {
  try {
    const a = parseArgs(argv)
    switch (a.cmd) {
      case 'apply': {
        if (a.files.length === 0) throw new UsageError('apply needs at least one file')
        const r = apply(a.files, a.netns, a.selector)
        err.write(`applied ${r.operations} operations in one batch (${r.messages} netlink messages)\n`)
        return 0
      }
      case 'plan': {
        if (a.files.length === 0) throw new UsageError('plan needs at least one file')
        const lines = planText(a.files, a.netns, a.selector)
        if (lines.length) out.write(`${lines.join('\n')}\n`)
        return lines.length ? 2 : 0
      }
      case 'render':
        if (a.files.length === 0) throw new UsageError('render needs at least one file')
        out.write(render(a.files, a.selector))
        return 0
      case 'list':
        if (a.files.length > 1) throw new UsageError('list takes at most one table name')
        out.write(list(a.netns, a.files[0]))
        return 0
      case 'delete': {
        if (a.files.length === 0) throw new UsageError('delete needs at least one file')
        const n = remove(a.files, a.netns, a.selector)
        err.write(`deleted ${n} table(s) in one batch\n`)
        return 0
      }
      case 'status': {
        if (a.files.length === 0) throw new UsageError('status needs files or table names')
        const st = status(a.files, a.netns, a.selector)
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
        out.write(`${USAGE}\n`)
        return 0
      default:
        throw new UsageError(a.cmd ? `unknown command ${a.cmd}` : 'missing command')
    }
  } catch (e) {
    if (e instanceof UsageError) err.write(`nftkit: ${e.message}\n${USAGE}\n`)
    else if (e instanceof NftSyntaxError || e instanceof NftValidationError || e instanceof NftError || e instanceof InputError || e instanceof InventoryError)
      err.write(`nftkit: ${e.message}\n`)
    else err.write(`nftkit: ${(e as Error).message ?? String(e)}\n`)
    return 1
  }
}

const invoked = process.argv[1] ?? ''
if (/cli(\/main)?\.(ts|js|cjs|mjs)$/.test(invoked) || invoked.endsWith('/nftkit')) {
  const argv = process.argv.slice(2)
  if (argv[0] === 'watch') {
    const a = parseArgs(argv)
    const ac = new AbortController()
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => ac.abort())
    watch(a.files, { netns: a.netns, selector: a.selector, signal: ac.signal }).catch((e) => {
      process.stderr.write(`nftkit: ${(e as Error).message}\n`)
      process.exitCode = 1
    })
  } else process.exitCode = main(argv)
}
