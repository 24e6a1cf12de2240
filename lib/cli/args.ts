/**
 * The command line's words: the commands with their help texts, argument
 * parsing, and the error for a misused command line.
 * @module
 */

/** One command: its synopsis, one line of summary and the longer help. */
interface Command {
  readonly synopsis: string
  readonly summary: string
  readonly help: string
}

const NETNS = '  --netns NAME|PATH      the network namespace (a name under /run/netns or a path such as /proc/PID/ns/net);\n                         default: the caller\'s own. Joining another namespace needs CAP_SYS_ADMIN.'
const SELECTOR = '  --selector k=v,...     only FirewallConfigurations whose labels match all pairs (YAML/JSON files);\n                         an error when it matches none'
const FILES = 'FILE is a .nft file (nft syntax), a .yaml/.yml/.json file of Liqo FirewallConfigurations and/or\nKubernetes manifests (Namespaces, Pods, Nodes, NetworkPolicies: compiled into table inet nftkit-netpol,\nsee docs/network-policy.md), or a directory (every such file in it). A table may be declared by one\ndocument only.'
const NODE = '  --node NAME            NetworkPolicies: enforce for the pods whose spec.nodeName is NAME (default: all pods)'

/** Every command, in the order `nftkit help` lists them. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  apply: {
    synopsis: 'nftkit apply FILE... [--netns NAME|PATH] [--node NAME] [--selector key=value,...]',
    summary: 'make each declared table hold exactly what the files say (one atomic batch)',
    help: `Reconciles each table the files declare with the smallest change: unchanged rules keep their
handles and counters, set contents move as element deltas, everything in one batch bound to the
generation it was planned from (re-planned if another writer got in first). Tables the files do
not declare are left alone. ${FILES}\n\n${NETNS}\n${NODE}\n${SELECTOR}`,
  },
  plan: {
    synopsis: 'nftkit plan FILE... [--netns NAME|PATH] [--node NAME] [--selector key=value,...]',
    summary: 'print the change apply would make (exit 0: none, 2: changes pending)',
    help: `Prints the nft commands apply would send, + for additions and - for deletions, without
changing anything. Exit code 0 when the kernel already matches, 2 when changes are pending.\n\n${NETNS}\n${NODE}\n${SELECTOR}`,
  },
  render: {
    synopsis: 'nftkit render FILE... [--node NAME] [--selector key=value,...]',
    summary: 'print the nft text the files declare (no kernel needed)',
    help: `Prints the ruleset the files declare as \`nft list ruleset\` would print it. ${FILES}\n\n${NODE}\n${SELECTOR}`,
  },
  list: {
    synopsis: 'nftkit list [--netns NAME|PATH] [TABLE]',
    summary: 'print the current ruleset (or one table) as nft text',
    help: `Reads the ruleset over netlink (no nft binary) and prints it as \`nft list ruleset\` does.\n\n${NETNS}`,
  },
  status: {
    synopsis: 'nftkit status FILE...|TABLE... [--netns NAME|PATH] [--node NAME] [--json]',
    summary: 'per-rule packet and byte counters of the declared (or named) tables',
    help: `Prints one row per rule: table, chain, rule name (its comment), packets and bytes. Rules\ncompiled from NetworkPolicies are named namespace/policy#ingress[i] (or #egress[i]).\n\n${NETNS}\n${NODE}\n  --json                 machine-readable output`,
  },
  watch: {
    synopsis: 'nftkit watch FILE|DIR... [--netns NAME|PATH] [--node NAME] [--selector key=value,...]',
    summary: 'apply, then re-apply on every file change and repair foreign changes',
    help: `Applies now, then again whenever a file's content changes (saved in place, replaced by rename,
or swapped as a Kubernetes ConfigMap volume does) or a file appears in a watched directory, and
whenever another process changes a declared table (nf_tables notifications). Each change is
applied once. Stops on SIGINT or SIGTERM after the commit in flight.\n\n${NETNS}\n${NODE}\n${SELECTOR}`,
  },
  delete: {
    synopsis: 'nftkit delete FILE... [--netns NAME|PATH] [--node NAME] [--selector key=value,...]',
    summary: 'remove exactly the tables the files declare (one batch)',
    help: `Deletes each declared table (missing ones are not an error), in one batch.\n\n${NETNS}\n${NODE}\n${SELECTOR}`,
  },
  policies: {
    synopsis: 'nftkit policies INVENTORY [provider-protection|consumer-protection|network-policies]...',
    summary: 'print the generated policy objects of an inventory as YAML',
    help: 'Prints the objects generated from a provider-protection inventory (YAML or JSON); default:\nprovider-protection network-policies. See docs/provider-protection.md.',
  },
  help: {
    synopsis: 'nftkit help [COMMAND]',
    summary: 'this text, or the help of one command (also: nftkit COMMAND --help)',
    help: 'Prints the list of commands, or the help of one.',
  },
}

/** The usage text: every command's synopsis and summary. */
export const USAGE = `usage:\n${Object.values(COMMANDS)
  .map((c) => `  ${c.synopsis}\n      ${c.summary}`)
  .join('\n')}\n  nftkit --version`

/** The help of one command, or undefined for an unknown one. */
export function commandHelp(name: string): string | undefined {
  const c = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  return c && `usage: ${c.synopsis}\n\n${c.summary}.\n\n${c.help}`
}

/** Parsed command line. */
export interface Args {
  readonly cmd: string
  readonly files: string[]
  readonly netns?: string
  /** `--node`: NetworkPolicies are enforced for this node's pods only. */
  readonly node?: string
  readonly selector: Record<string, string>
  readonly json: boolean
  /** `--help` or `-h` was given after the command. */
  readonly help: boolean
}

/** Splits argv (without node and script) into the command, its operands and options. */
export function parseArgs(argv: readonly string[]): Args {
  const [cmd, ...rest] = argv
  const files: string[] = []
  let netns: string | undefined
  let node: string | undefined
  let selector: Record<string, string> = {}
  let json = false
  let help = false
  const value = (name: string, v: string | undefined, what: string): string => {
    if (v === undefined || v === '') throw new UsageError(`${name} needs ${what}`)
    return v
  }
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]
    if (a === '--json') json = true
    else if (a === '--help' || a === '-h') help = true
    else if (a === '--selector') selector = parseSelector(value('--selector', rest[++i], 'key=value[,key=value...]'))
    else if (a.startsWith('--selector=')) selector = parseSelector(value('--selector', a.slice(11), 'key=value[,key=value...]'))
    // An empty namespace would silently mean "the caller's own" (the host's, in real use).
    else if (a === '--netns') netns = value('--netns', rest[++i], 'a namespace name or path')
    else if (a.startsWith('--netns=')) netns = value('--netns', a.slice(8), 'a namespace name or path')
    else if (a === '--node') node = value('--node', rest[++i], 'a node name')
    else if (a.startsWith('--node=')) node = value('--node', a.slice(7), 'a node name')
    else if (a === '--') {
      files.push(...rest.slice(i + 1))
      break
    }
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`)
    else files.push(a)
  }
  return { cmd: cmd ?? '', files, netns, ...(node !== undefined ? { node } : {}), selector, json, help }
}

/** A misused command line (exit 1 with the usage text). */
export class UsageError extends Error {}

/** Parses `key=value[,key=value...]`. */
export function parseSelector(s: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of s.split(',')) {
    const i = part.indexOf('=')
    if (i <= 0 || part.slice(0, i).trim() === '') throw new UsageError(`--selector expects key=value[,key=value...], got ${JSON.stringify(s)}`)
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim()
  }
  return out
}
