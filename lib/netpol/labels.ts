/**
 * Kubernetes name and label syntax, as the API server validates it: label
 * keys and values, DNS labels and subdomains, and IANA service names (named
 * ports). Pure predicates; the manifest reader turns a false into an error
 * with a field path.
 * @module
 */

const NAME63 = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** A DNS-1123 label (namespace names): at most 63 lowercase alphanumerics and '-'. */
export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS_LABEL.test(s)
}

/** A DNS-1123 subdomain (most object names): at most 253 characters of dot-separated labels. */
export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && DNS_SUBDOMAIN.test(s)
}

/** A label key: an optional DNS-subdomain prefix and '/', then a name of at most 63 characters. */
export function isLabelKey(s: string): boolean {
  const slash = s.indexOf('/')
  const name = slash < 0 ? s : s.slice(slash + 1)
  if (slash >= 0 && !(slash > 0 && isDnsSubdomain(s.slice(0, slash)))) return false
  return name.length <= 63 && NAME63.test(name)
}

/** A label value: empty, or at most 63 alphanumerics, '-', '_' and '.', alphanumeric at both ends. */
export function isLabelValue(s: string): boolean {
  return s === '' || (s.length <= 63 && NAME63.test(s))
}

/**
 * An IANA service name (a named port): 1-15 lowercase alphanumerics and '-',
 * at least one letter, no '-' at either end and no '--'.
 */
export function isPortName(s: string): boolean {
  return s.length >= 1 && s.length <= 15 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s) && !s.includes('--')
}
