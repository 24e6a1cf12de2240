/**
 * Listings made comparable: what kernel tests do to `nft list` and nftkit's
 * own listing before comparing them (handles and element expiry times vary).
 * @module
 */

/** The listing on one line: handles and element expiry times removed, whitespace collapsed. */
export function flatListing(text: string): string {
  return text
    .replace(/\s*# handle \d+/g, '')
    .replace(/ expires [0-9dhms]+/g, '')
    .replace(/\s+/g, ' ')
    .trim()
}

/** The listing line by line: handles removed, lines trimmed, blank lines dropped. */
export function listingLines(text: string): string {
  return text
    .replace(/\s*# handle \d+/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n')
}
