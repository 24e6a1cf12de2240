/**
 * `nftkit webhook` as the API server meets it: a child process serving
 * HTTPS with a self-signed certificate made by openssl at test time (SAN
 * 127.0.0.1, the test trusts exactly that certificate, as a caBundle does),
 * AdmissionReview round trips for both paths, bad bodies, /healthz, JSON
 * logs, SIGTERM, and the start-up failures (missing option, unreadable file,
 * a key that is not the certificate's, a port in use).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loopbackUp } from '../helpers/loopback.js'
import { until } from '../helpers/wait.js'

const ROOT = join(import.meta.dirname, '..', '..')
const MAIN = join(ROOT, 'lib', 'cli', 'main.ts')
const dir = mkdtempSync(join(tmpdir(), 'nftkit-webhook-'))

/** A self-signed P-256 certificate for 127.0.0.1 and the in-cluster Service name. */
function selfSigned(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`)
  const key = join(dir, `${name}.key`)
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=nftkit-webhook.nftkit.svc', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:nftkit-webhook.nftkit.svc',
    '-keyout', key, '-out', cert,
  ], { stdio: 'pipe' })
  return { cert, key }
}

const VALID = {
  apiVersion: 'networking.liqo.io/v1beta1',
  kind: 'FirewallConfiguration',
  metadata: { name: 'gw', namespace: 'liqo', labels: { 'networking.liqo.io/firewall-category': 'gateway' } },
  spec: {
    table: {
      name: 't',
      family: 'INET',
      chains: [{ name: 'c', type: 'filter', hook: 'forward', policy: 'drop', priority: 0, rules: { filterRules: [{ name: 'ssh', match: [{ op: 'eq', port: { value: '22', position: 'dst' }, proto: { value: 'tcp' } }], action: 'accept' }] } }],
    },
  },
}
const INVALID = {
  ...VALID,
  spec: { table: { ...VALID.spec.table, chains: [{ ...VALID.spec.table.chains[0], hook: 'sideways', rules: { filterRules: [{ name: 'ssh', match: [{ op: 'eq', port: { value: '70000', position: 'dst' }, proto: { value: 'tcp' } }], action: 'accept' }] } }] } },
}

const review = (uid: string, object: unknown, kind = { group: 'networking.liqo.io', version: 'v1beta1', kind: 'FirewallConfiguration' }) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid, kind, operation: 'CREATE', name: 'gw', namespace: 'liqo', object },
})

interface Reply {
  status: number
  text: string
}

function post(port: number, ca: string | undefined, path: string, body: string, method = 'POST'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method, ca, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c) => {
          text += c
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

interface Running {
  child: ChildProcess
  port: number
  lines: () => Record<string, unknown>[]
  exited: Promise<number | null>
}

async function start(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'webhook', ...args, '--log-format', 'json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr?.setEncoding('utf8').on('data', (c) => {
    err += c
  })
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)))
  const lines = () =>
    err
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
  const up = await until(() => lines().some((l) => l.msg === 'webhook listening') || child.exitCode !== null, 30_000, 20)
  const listening = lines().find((l) => l.msg === 'webhook listening')
  if (!up || !listening) {
    child.kill('SIGKILL')
    throw new Error(`webhook did not start: ${err}`)
  }
  return { child, port: listening.port as number, lines, exited }
}

function nftkit(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 30_000 })
  return { code: r.status, out: r.stdout, err: r.stderr }
}

describe('nftkit webhook over HTTPS', () => {
  let tls: { cert: string; key: string }
  let ca: string
  let w: Running

  beforeAll(async () => {
    loopbackUp()
    tls = selfSigned('webhook')
    ca = execFileSync('cat', [tls.cert], { encoding: 'utf8' })
    w = await start(['--tls-cert', tls.cert, '--tls-key', tls.key, '--listen', '127.0.0.1:0'])
  })
  afterAll(() => {
    if (w && w.child.exitCode === null) w.child.kill('SIGKILL')
  })

  it('allows a valid FirewallConfiguration: 200, the uid echoed, admission.k8s.io/v1 AdmissionReview', async () => {
    const r = await post(w.port, ca, '/validate-firewallconfiguration', JSON.stringify(review('uid-ok-1', VALID)))
    expect(r.status).toBe(200)
    expect(JSON.parse(r.text)).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'uid-ok-1', allowed: true } })
  })

  it('refuses an invalid one with every problem and its field path in status.message', async () => {
    const r = await post(w.port, ca, '/validate-firewallconfiguration', JSON.stringify(review('uid-bad-2', INVALID)))
    expect(r.status).toBe(200)
    const { response } = JSON.parse(r.text)
    expect(response.uid).toBe('uid-bad-2')
    expect(response.allowed).toBe(false)
    expect(response.status.code).toBe(422)
    expect(response.status.message).toMatch(/^FirewallConfiguration "liqo\/gw" is invalid \(2 problems\): /)
    expect(response.status.message).toContain('spec.table.chains[0].hook: ')
    expect(response.status.message).toContain('spec.table.chains[0].rules.filterRules[0].match[0].port.value: ')
    expect(response.status.details.causes.map((c: { field: string }) => c.field)).toEqual(['spec.table.chains[0].hook', 'spec.table.chains[0].rules.filterRules[0].match[0].port.value'])
  })

  it('serves /validate-networkpolicy', async () => {
    const kind = { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' }
    const ok = await post(w.port, ca, '/validate-networkpolicy', JSON.stringify(review('np-1', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { podSelector: {} } }, kind)))
    expect(JSON.parse(ok.text).response).toEqual({ uid: 'np-1', allowed: true })
    const bad = await post(w.port, ca, '/validate-networkpolicy', JSON.stringify(review('np-2', { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { podSelector: {}, ingress: [{ ports: [{ port: 0 }] }] } }, kind)))
    expect(JSON.parse(bad.text).response.status.message).toContain('spec.ingress[0].ports[0].port: expected a port of 1-65535, got 0')
  })

  it('400 with a clear message for a body that is not JSON or not an AdmissionReview; 404 elsewhere; /healthz', async () => {
    expect(await post(w.port, ca, '/validate-firewallconfiguration', '{not json')).toMatchObject({ status: 400, text: expect.stringMatching(/^the body is not JSON: /) })
    expect(await post(w.port, ca, '/validate-firewallconfiguration', JSON.stringify({ ...review('x', VALID), apiVersion: 'admission.k8s.io/v1beta1' }))).toMatchObject({
      status: 400,
      text: expect.stringContaining('expected apiVersion admission.k8s.io/v1 and kind AdmissionReview'),
    })
    expect((await post(w.port, ca, '/elsewhere', '{}')).status).toBe(404)
    expect(await post(w.port, ca, '/healthz', '', 'GET')).toEqual({ status: 200, text: 'ok\n' })
  })

  it('is real TLS: a client that does not trust the certificate cannot talk to it', async () => {
    await expect(post(w.port, undefined, '/healthz', '', 'GET')).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })
    const other = selfSigned('other')
    await expect(post(w.port, execFileSync('cat', [other.cert], { encoding: 'utf8' }), '/healthz', '', 'GET')).rejects.toThrow()
  })

  it('logs JSON lines: refused reviews (info) and bad requests (warn) with time, level, msg and fields', () => {
    const lines = w.lines()
    for (const l of lines) expect(Object.keys(l).slice(0, 3)).toEqual(['time', 'level', 'msg'])
    expect(lines.find((l) => l.msg === 'admission refused' && l.uid === 'uid-bad-2')).toMatchObject({ level: 'info', path: '/validate-firewallconfiguration' })
    expect(lines.find((l) => l.msg === 'admission request refused')).toMatchObject({ level: 'warn', status: 400 })
  })

  it('a port in use is an error that says so (exit 1)', () => {
    const r = nftkit('webhook', '--tls-cert', tls.cert, '--tls-key', tls.key, '--listen', `127.0.0.1:${w.port}`)
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/EADDRINUSE/)
  })

  it('stops on SIGTERM with exit 0', async () => {
    w.child.kill('SIGTERM')
    expect(await w.exited).toBe(0)
    expect(w.lines().at(-1)).toMatchObject({ msg: 'webhook stopped' })
  })
})

describe('nftkit webhook start-up errors', () => {
  it('needs --tls-cert and --tls-key (exit 1 with the usage)', () => {
    const r = nftkit('webhook', '--listen', ':0')
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/webhook needs --tls-cert FILE and --tls-key FILE/)
    expect(r.err).toMatch(/^usage:/m)
    // The other option errors: test/unit/cli.webhook.test.ts.
  })

  // One process per test: a start of nftkit under tsx takes seconds on a loaded machine.
  it('names an unreadable file (exit 1, not an internal error)', () => {
    const a = selfSigned('a')
    const missing = nftkit('webhook', '--tls-cert', join(dir, 'nope.crt'), '--tls-key', a.key, '--listen', '127.0.0.1:0')
    expect(missing.code).toBe(1)
    expect(missing.err).toMatch(/ENOENT.*nope\.crt/)
  })

  it('refuses a key that is not the certificate\'s', () => {
    const a = selfSigned('a')
    const b = selfSigned('b')
    const mismatch = nftkit('webhook', '--tls-cert', a.cert, '--tls-key', b.key, '--listen', '127.0.0.1:0')
    expect(mismatch.code).toBe(1)
    expect(mismatch.err).toMatch(/are not a usable certificate and key/)
  })

  it('refuses a certificate file that is not PEM', () => {
    const a = selfSigned('a')
    writeFileSync(join(dir, 'garbage.pem'), 'not a certificate\n')
    const garbage = nftkit('webhook', '--tls-cert', join(dir, 'garbage.pem'), '--tls-key', a.key, '--listen', '127.0.0.1:0')
    expect(garbage.code).toBe(1)
    expect(garbage.err).toMatch(/not a usable certificate and key/)
  })

  it('has a help text', () => {
    const r = nftkit('webhook', '--help')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^usage: nftkit webhook --tls-cert FILE --tls-key FILE/)
  })
})
