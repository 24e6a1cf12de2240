/**
 * Throwaway network namespaces for kernel tests, and the nft binary as the
 * oracle inside them. Never touches the namespace the test runs in.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A named network namespace under /run/netns, removed by `remove()`. */
export interface Netns {
  readonly name: string
  /** Runs `nft` inside the namespace with the given arguments, returns stdout. */
  nft(...args: string[]): string
  /** Loads nft text with `nft -f` inside the namespace. */
  nftFile(text: string): void
  /** `nft list ruleset` with handles stripped and whitespace normalised. */
  ruleset(): string
  /** `nft -j list ruleset` parsed, metainfo and handles removed. */
  json(): unknown
  /**
   * `nft --debug=netlink list ruleset`: every rule's kernel expressions and
   * every set's element bytes (as libnftnl prints them), rule handles removed,
   * element lines sorted per set (hash sets dump in hash order).
   */
  bytecode(): string
  remove(): void
}

/** Creates a fresh namespace. Fails loudly if it cannot (kernel tests must not skip). */
export function makeNetns(tag = 'x'): Netns {
  const name = `nftkit-t-${tag}-${process.pid}-${randomBytes(3).toString('hex')}`
  execFileSync('ip', ['netns', 'add', name])
  const run = (args: string[], input?: string) =>
    execFileSync('ip', ['netns', 'exec', name, 'nft', ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] })
  return {
    name,
    nft: (...args) => run(args),
    nftFile(text) {
      const dir = mkdtempSync(join(tmpdir(), 'nftkit-'))
      const file = join(dir, 'in.nft')
      writeFileSync(file, text)
      run(['-f', file])
    },
    ruleset: () => normalizeRuleset(run(['list', 'ruleset'])),
    json: () => stripJson(JSON.parse(run(['-j', 'list', 'ruleset']))),
    bytecode: () => normalizeBytecode(run(['--debug=netlink', 'list', 'ruleset'])),
    remove() {
      try {
        execFileSync('ip', ['netns', 'del', name])
      } catch {
        /* already gone */
      }
    },
  }
}

/** Removes `# handle N` comments and normalises blank space. */
export function normalizeRuleset(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/\s*# handle \d+/, '').replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n')
}

function normalizeBytecode(text: string): string {
  const out: string[] = []
  let elements: string[] = []
  const flush = () => {
    out.push(...elements.sort())
    elements = []
  }
  for (const raw of text.split('\n')) {
    const l = raw.replace(/\s*# handle \d+/, '').replace(/\s+/g, ' ').trim()
    if (l.startsWith('element ')) {
      elements.push(l)
      continue
    }
    flush()
    // Rule headers end in the rule's handle (and the previous rule's): `ip t c 7 6`.
    if (l) out.push(l.replace(/^((?:ip|ip6|inet|arp|bridge|netdev) \S+ \S+)(?: \d+)+$/, '$1'))
  }
  flush()
  return out.join('\n')
}

function stripJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripJson).filter((x) => !(x && typeof x === 'object' && 'metainfo' in x))
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (k !== 'handle') o[k] = stripJson(x)
    return o
  }
  return v
}

/**
 * Sends `count` UDP datagrams of `bytes` bytes to 127.0.0.1:9 from inside the
 * namespace (its output path sees them; lo must be up). Returns once all left.
 */
export function sendUdp(netns: string, count: number, bytes: number): void {
  const js = `const s=require('dgram').createSocket('udp4');let n=0;const go=()=>s.send(Buffer.alloc(${bytes}),9,'127.0.0.1',()=>{if(++n<${count})go();else s.close()});go()`
  execFileSync('ip', ['netns', 'exec', netns, process.execPath, '-e', js])
}
