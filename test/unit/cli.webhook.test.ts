/** `nftkit webhook` options (the server itself: test/kernel/controller.webhook.test.ts). */
import { describe, expect, it } from 'vitest'
import { UsageError, USAGE, commandHelp } from '../../lib/cli/args.js'
import { main } from '../../lib/cli/main.js'
import { parseWebhookArgs } from '../../lib/cli/webhook.js'

describe('parseWebhookArgs', () => {
  it('reads the options, with defaults', () => {
    expect(parseWebhookArgs(['--tls-cert', 'c.pem', '--tls-key', 'k.pem'])).toEqual({ tlsCert: 'c.pem', tlsKey: 'k.pem', listen: ':8443', logFormat: 'text', help: false })
    expect(parseWebhookArgs(['--tls-cert=c.pem', '--tls-key=k.pem', '--listen=[::]:9443', '--log-format', 'json'])).toEqual({ tlsCert: 'c.pem', tlsKey: 'k.pem', listen: '[::]:9443', logFormat: 'json', help: false })
    expect(parseWebhookArgs(['-h']).help).toBe(true)
  })

  it.each<[string[], RegExp]>([
    [[], /webhook needs --tls-cert FILE and --tls-key FILE/],
    [['--tls-cert', 'c'], /webhook needs --tls-cert FILE and --tls-key FILE/],
    [['--tls-cert'], /--tls-cert needs a value/],
    [['--tls-cert='], /--tls-cert needs a value/],
    [['--tls', 'x'], /unknown option --tls/],
    [['--netns', 'x'], /unknown option --netns/],
    [['extra'], /webhook takes no operands \(got extra\)/],
    [['--tls-cert', 'a', '--tls-key', 'b', '--log-format', 'xml'], /--log-format expects json or text, got xml/],
  ])('%j is a usage error', (argv, msg) => {
    expect(() => parseWebhookArgs(argv)).toThrow(UsageError)
    expect(() => parseWebhookArgs(argv)).toThrow(msg)
  })

  it('is listed in the usage and has a help text; main() says to use run()', () => {
    expect(USAGE).toContain('nftkit webhook --tls-cert FILE --tls-key FILE [--listen ADDR:PORT] [--log-format json|text]')
    expect(commandHelp('webhook')).toMatch(/\/validate-firewallconfiguration/)
    const chunks: string[] = []
    const err = { write: (s: string) => chunks.push(s) } as unknown as typeof process.stderr
    expect(main(['webhook'], process.stdout, err)).toBe(1)
    expect(chunks.join('')).toMatch(/webhook runs until it is stopped/)
  })
})
