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
const INCLUDE = '  -I, --includepath DIR  where include "name" in .nft files looks (repeatable, searched in order;\n                         default /etc, as nft); names starting with /, ./ or ../ are read as given'
const NODE = `  --node NAME            NetworkPolicies: enforce for the pods whose spec.nodeName is NAME (default: all pods);
                         node policies (Antrea ClusterNetworkPolicies): compile for the Node NAME (required for them)
  --interfaces LIST      node policies apply to these interfaces (eth*,ens160; default every interface but lo)
  --privileged LIST      endpoints node policies never cut off: ADDR[/LEN][:PORT][/udp], IPv6 in brackets
                         ([fd00::1]:6443); established traffic and loopback are always allowed`

/** Every command, in the order `nftkit help` lists them. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  apply: {
    synopsis: 'nftkit apply FILE... [--netns NAME|PATH] [--node NAME] [--selector key=value,...]',
    summary: 'make each declared table hold exactly what the files say (one atomic batch)',
    help: `Reconciles each table the files declare with the smallest change: unchanged rules keep their
handles and counters, set contents move as element deltas, everything in one batch bound to the
generation it was planned from (re-planned if another writer got in first). Tables the files do
not declare are left alone. ${FILES}\n\n${NETNS}\n${INCLUDE}\n${NODE}\n${SELECTOR}`,
  },
  plan: {
    synopsis: 'nftkit plan FILE... [--netns NAME|PATH] [--node NAME] [--selector key=value,...]',
    summary: 'print the change apply would make (exit 0: none, 2: changes pending)',
    help: `Prints the nft commands apply would send, + for additions and - for deletions, without
changing anything. Exit code 0 when the kernel already matches, 2 when changes are pending.\n\n${NETNS}\n${INCLUDE}\n${NODE}\n${SELECTOR}`,
  },
  render: {
    synopsis: 'nftkit render FILE... [--node NAME] [--selector key=value,...]',
    summary: 'print the nft text the files declare (no kernel needed)',
    help: `Prints the ruleset the files declare as \`nft list ruleset\` would print it. ${FILES}\n\n${INCLUDE}\n${NODE}\n${SELECTOR}`,
  },
  list: {
    synopsis: 'nftkit list [--netns NAME|PATH] [TABLE]',
    summary: 'print the current ruleset (or one table) as nft text',
    help: `Reads the ruleset over netlink (no nft binary) and prints it as \`nft list ruleset\` does.\n\n${NETNS}`,
  },
  status: {
    synopsis: 'nftkit status FILE...|TABLE... [--netns NAME|PATH] [--node NAME] [--json]',
    summary: 'per-rule packet and byte counters of the declared (or named) tables',
    help: `Prints one row per rule: table, chain, rule name (its comment), packets and bytes. Rules\ncompiled from NetworkPolicies are named namespace/policy#ingress[i] (or #egress[i]).\n\n${NETNS}\n${INCLUDE}\n${NODE}\n  --json                 machine-readable output`,
  },
  watch: {
    synopsis: 'nftkit watch FILE|DIR... [--netns NAME|PATH] [--node NAME] [--selector key=value,...]',
    summary: 'apply, then re-apply on every file change and repair foreign changes',
    help: `Applies now, then again whenever a file's content changes (saved in place, replaced by rename,
or swapped as a Kubernetes ConfigMap volume does) or a file appears in a watched directory, and
whenever another process changes a declared table (nf_tables notifications). Each change is
applied once. Stops on SIGINT or SIGTERM after the commit in flight.\n\n${NETNS}\n${INCLUDE}\n${NODE}\n${SELECTOR}`,
  },
  delete: {
    synopsis: 'nftkit delete FILE... [--netns NAME|PATH] [--node NAME] [--selector key=value,...]',
    summary: 'remove exactly the tables the files declare (one batch)',
    help: `Deletes each declared table (missing ones are not an error), in one batch.\n\n${NETNS}\n${INCLUDE}\n${NODE}\n${SELECTOR}`,
  },
  webhook: {
    synopsis: 'nftkit webhook --tls-cert FILE --tls-key FILE [--listen ADDR:PORT] [--log-format json|text]',
    summary: 'serve the validating admission webhook (AdmissionReview v1 over HTTPS)',
    help: `Serves admission.k8s.io/v1 AdmissionReview at /validate-firewallconfiguration (Liqo
FirewallConfigurations: refused with every problem and its field path) and /validate-networkpolicy
(its structure, then the NetworkPolicy compiler's reader), and /healthz. Runs until SIGINT or
SIGTERM. The manifest is deploy/webhook.yaml; see docs/webhook-and-metrics.md.

  --tls-cert FILE        PEM certificate (chain) the API server checks against the caBundle
  --tls-key FILE         its PEM private key
  --listen ADDR:PORT     default :8443 (every address); [::1]:8443 for IPv6
  --log-format json|text JSON lines or text (default text), on stderr`,
  },
  controller: {
    synopsis:
      'nftkit controller [--kubeconfig FILE] [--namespace NS] [--selector k=v,...] [--netns NAME|PATH] [--host NAME]\n                    [--listen ADDR:PORT] [--log-format json|text] [--networkpolicies [--node NAME]]',
    summary: 'apply the cluster\'s Liqo FirewallConfigurations and report their status (runs until stopped)',
    help: `Watches networking.liqo.io/v1beta1 FirewallConfigurations (all namespaces or one, filtered by the API
server with the label selector) and on every change makes the kernel hold the tables of all selected
objects in one batch (unchanged rules keep handles and counters); a deleted or no longer selected
object's table is removed. Writes status.conditions[] (one entry per host, type Applied, True/False)
and reports failures (every problem with its field path, or the kernel's refusal) as Kubernetes
Events. Repairs changes others make to its tables. Watch errors retry with capped backoff, 410 Gone
relists; while the API server is unreachable the kernel is left as it is. Stops on SIGINT or SIGTERM
after the reconcile in flight. See docs/controller.md.

  --kubeconfig FILE      default: in-cluster service account, then KUBECONFIG, then ~/.kube/config.
                         A plain http:// server is refused unless the kubeconfig sets
                         insecure-skip-tls-verify: true
  --namespace NS         only this namespace (default: all)
  --selector k=v,...     only objects with all these labels, filtered by the API server; repeat it for
                         several label sets, any of which selects an object (a Liqo gateway's four sets)
${NETNS}
  --host NAME            this agent's host in status.conditions[] (default: the hostname, the pod's name)
  --listen ADDR:PORT     serve /healthz, /readyz (after the first successful reconcile) and /metrics
  --log-format json|text JSON lines or text (default text), on stderr; one line per reconcile that changed something
  --networkpolicies      also enforce the cluster's NetworkPolicies (Namespaces, Pods, NetworkPolicies watched
                         cluster-wide; one table, nftkit-netpol; see docs/network-policy.md)
  --node NAME            with --networkpolicies: protect this node's pods only (default: every pod)`,
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
  /** `--node`: NetworkPolicies are enforced for this node's pods only; node policies are compiled for this Node. */
  readonly node?: string
  /** `--interfaces`: the interfaces node policies apply to (names and `eth*` wildcards). */
  readonly interfaces?: string[]
  /** `--privileged`: control-plane endpoints no node policy may cut off (`ADDR[/LEN][:PORT][/udp]`). */
  readonly privileged?: string[]
  /** `-I`/`--includepath`: directories `include` searches, in order. */
  readonly includePath?: string[]
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
  let interfaces: string[] | undefined
  let privileged: string[] | undefined
  let includePath: string[] | undefined
  let selector: Record<string, string> = {}
  let json = false
  let help = false
  const value = (name: string, v: string | undefined, what: string): string => {
    if (v === undefined || v === '') throw new UsageError(`${name} needs ${what}`)
    return v
  }
  const list = (name: string, v: string | undefined, what: string): string[] => {
    const items = value(name, v, what).split(',')
    if (items.some((x) => x === '')) throw new UsageError(`${name} needs ${what}, without empty entries`)
    return items
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
    else if (a === '--interfaces' || a.startsWith('--interfaces='))
      interfaces = list('--interfaces', a === '--interfaces' ? rest[++i] : a.slice(13), 'interface names or wildcards (eth*,ens160)')
    else if (a === '--privileged' || a.startsWith('--privileged='))
      privileged = list('--privileged', a === '--privileged' ? rest[++i] : a.slice(13), 'endpoints (10.0.0.1:6443,[fd00::1]:10250)')
    else if (a === '-I' || a === '--includepath' || a.startsWith('--includepath='))
      includePath = [...(includePath ?? []), value(a === '-I' ? '-I' : '--includepath', a.startsWith('--includepath=') ? a.slice(14) : rest[++i], 'a directory')]
    else if (a === '--') {
      files.push(...rest.slice(i + 1))
      break
    }
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`)
    else files.push(a)
  }
  return {
    cmd: cmd ?? '',
    files,
    netns,
    ...(node !== undefined ? { node } : {}),
    ...(interfaces !== undefined ? { interfaces } : {}),
    ...(privileged !== undefined ? { privileged } : {}),
    ...(includePath !== undefined ? { includePath } : {}),
    selector,
    json,
    help,
  }
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
