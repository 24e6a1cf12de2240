/**
 * Desired state from files: `.nft` as nft text, `.yaml`/`.yml`/`.json` as Liqo
 * FirewallConfigurations (those matching a label selector), every problem
 * reported with file, document and field path. What the CLI applies, renders,
 * plans and watches.
 * @module
 */
import { readFileSync } from 'node:fs'
import type { Operation } from '../model/operations.js'
import { type ParsedFile, parseNft } from '../nft/parser.js'
import {
  FAMILY,
  type FirewallConfiguration,
  isFirewallConfiguration,
  matchesSelector,
  readDocuments,
  toOperations,
  validate,
} from '../liqo/firewall-configuration.js'

/**
 * Parses every file: `.nft` as nft text, `.yaml`/`.yml`/`.json` as Liqo
 * FirewallConfigurations (those matching `selector`, every problem reported
 * with file, document and field path).
 */
export function loadFiles(files: readonly string[], selector: Readonly<Record<string, string>> = {}): ParsedFile {
  const operations: Operation[] = []
  const tables: { family: ParsedFile['tables'][number]['family']; name: string }[] = []
  const declare = (t: { family: ParsedFile['tables'][number]['family']; name: string }) => {
    if (!tables.some((x) => x.family === t.family && x.name === t.name)) tables.push(t)
  }
  for (const f of files) {
    const text = readFileSync(f, 'utf8')
    if (f.endsWith('.nft')) {
      const p = parseNft(text, { file: f })
      operations.push(...p.operations)
      for (const t of p.tables) declare(t)
      continue
    }
    if (!/\.(ya?ml|json)$/.test(f)) throw new InputError(`${f}: expected a .nft, .yaml, .yml or .json file`)
    const { documents, problems } = readDocuments(text, f)
    const lines = problems.map((p) => `${f}: ${p.path}: ${p.message}`)
    for (const d of documents) {
      if (!isFirewallConfiguration(d.value)) {
        // Other Kubernetes kinds (e.g. the NetworkPolicies `nftkit policies` writes beside them) are not ours.
        if (!isOtherKubernetesKind(d.value)) lines.push(`${f}: document ${d.index}: expected kind FirewallConfiguration`)
        continue
      }
      if (!matchesSelector(d.value, selector)) continue
      const name = (d.value as FirewallConfiguration).metadata?.name
      const where = `${f}: document ${d.index}${name ? ` (${name})` : ''}`
      const found = validate(d.value)
      if (found.length) {
        lines.push(...found.map((p) => `${where}: ${p.path}: ${p.message}`))
        continue
      }
      const fwc = d.value as FirewallConfiguration
      operations.push(...toOperations(fwc))
      declare({ family: FAMILY[fwc.spec.table.family], name: fwc.spec.table.name })
    }
    if (lines.length) throw new InputError(lines.join('\n'))
  }
  return { operations, tables }
}

/** Bad input files (all problems in one message). */
export class InputError extends Error {}

/** A manifest of another API group (apiVersion and kind set, not networking.liqo.io): skipped, not an error. */
function isOtherKubernetesKind(v: unknown): boolean {
  const o = v as { apiVersion?: unknown; kind?: unknown } | null
  return typeof o?.apiVersion === 'string' && typeof o.kind === 'string' && o.kind !== '' && !o.apiVersion.startsWith('networking.liqo.io/')
}

