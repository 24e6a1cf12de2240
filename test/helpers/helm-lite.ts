/**
 * Renders the two Liqo Helm templates in test/fixtures/liqo with their
 * documented defaults (no Helm here): drops the control lines and fills the
 * few values they use. Only for those files.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export const CORPUS = join(import.meta.dirname, '..', 'fixtures', 'liqo')

/** liqo-gw-mssclamp-firewallconfiguration.yaml with mssclamp.value (default 0). */
export function mssClamp(value = '0'): string {
  return readFileSync(join(CORPUS, 'liqo-gw-mssclamp-firewallconfiguration.yaml'), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*\{\{-/.test(l) && !l.startsWith('#'))
    .join('\n')
    .replace(/\{\{ \.Values\.networking\.gateway\.mssclamp\.value \| toString \| quote \}\}/g, JSON.stringify(value))
}

/** liqo-notrack-firewallconfiguration.yaml with notrack enabled: two documents (fabric and gateway). */
export function notrack(genevePort = '6091'): string {
  const text = readFileSync(join(CORPUS, 'liqo-notrack-firewallconfiguration.yaml'), 'utf8')
  const body = text
    .split('\n')
    .filter((l) => !/^\s*\{\{-/.test(l) && !/^\s*\(dict/.test(l) && !/^\s*\}\}\s*$/.test(l) && !l.startsWith('#'))
    .join('\n')
    .replace(/\{\{ \$genevePort \| quote \}\}/g, JSON.stringify(genevePort))
  const docs = [
    { name: 'fabric-notrack', category: 'fabric', subcategory: 'all-nodes' },
    { name: 'gw-notrack', category: 'gateway', subcategory: 'all-gateways' },
  ]
  return docs
    .map((d) => body.replace(/\{\{ \.name \}\}/g, d.name).replace(/\{\{ \.category \}\}/g, d.category).replace(/\{\{ \.subcategory \}\}/g, d.subcategory))
    .join('\n')
}
