/**
 * The admission webhook without TLS: reviewAdmission() decisions (allowed; refused
 * with every problem's field path; uid echoed; apiVersion and kind of the
 * reply), bad envelopes, and admissionHandler() on a plain node:http server
 * (bad JSON, wrong method and Content-Type, oversize bodies, unknown paths,
 * chaining with the server's own routes). The TLS server is in
 * test/kernel/controller.webhook.test.ts.
 */
import { readFileSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loopbackUp } from '../helpers/loopback.js'
import { parseAllDocuments } from 'yaml'
import { readDocuments } from '../../lib/liqo/firewall-configuration.js'
import { parseWebhookArgs } from '../../lib/cli/webhook.js'
import { ADMISSION_VALIDATORS, AdmissionRequestError, admissionHandler, reviewAdmission, serveWebhook } from '../../lib/controller/webhook.js'
import { NftValidationError } from '../../lib/kernel/errors.js'
import { networkPolicyAdmissionProblems, networkPolicyProblems } from '../../lib/controller/netpol-check.js'

type Obj = Record<string, unknown>
const FWC_PATH = '/validate-firewallconfiguration'
const NP_PATH = '/validate-networkpolicy'

const fwc = (table: Obj = {}): Obj => ({
  apiVersion: 'networking.liqo.io/v1beta1',
  kind: 'FirewallConfiguration',
  metadata: { name: 'gw', namespace: 'liqo', uid: 'abc', resourceVersion: '7', labels: { 'networking.liqo.io/firewall-category': 'gateway' }, managedFields: [{ manager: 'kubectl' }] },
  spec: {
    table: {
      name: 't',
      family: 'IPV4',
      chains: [{ name: 'c', type: 'filter', hook: 'forward', policy: 'accept', priority: 0, rules: { filterRules: [{ name: 'r', match: [{ op: 'eq', ip: { value: '10.0.0.0/8', position: 'src' } }], action: 'accept' }] } }],
      ...table,
    },
  },
})

const BAD_FWC = fwc({
  family: 'IPV5',
  chains: [{ name: 'c', type: 'filter', hook: 'forward', policy: 'maybe', rules: { filterRules: [{ name: 'r', match: [{ op: 'eq', ip: { value: '10.0.0.1/8', position: 'src' } }], action: 'accept' }] } }],
})

const reviewOf = (object: unknown, extra: Obj = {}, kind: Obj = { group: 'networking.liqo.io', version: 'v1beta1', kind: 'FirewallConfiguration' }): Obj => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
    kind,
    resource: { group: kind.group, version: kind.version, resource: 'firewallconfigurations' },
    operation: 'CREATE',
    name: 'gw',
    namespace: 'liqo',
    userInfo: { username: 'admin' },
    object,
    oldObject: null,
    dryRun: false,
    ...extra,
  },
})

const FWC = ADMISSION_VALIDATORS[FWC_PATH]
const NP = ADMISSION_VALIDATORS[NP_PATH]

describe('review: FirewallConfiguration', () => {
  it('allows a valid object: uid echoed, apiVersion admission.k8s.io/v1, kind AdmissionReview, no status', () => {
    expect(reviewAdmission(reviewOf(fwc()), FWC)).toEqual({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true },
    })
  })

  it('allows the manifests Liqo ships', () => {
    const dir = join(import.meta.dirname, '..', 'fixtures', 'liqo')
    let n = 0
    for (const f of ['gw-mssclamp.yaml', 'notrack.yaml', 'liqo-gw-mssclamp-firewallconfiguration.yaml', 'liqo-notrack-firewallconfiguration.yaml']) {
      for (const d of readDocuments(readFileSync(join(dir, f), 'utf8'), f).documents) {
        expect(reviewAdmission(reviewOf(d.value), FWC).response, f).toMatchObject({ allowed: true })
        n++
      }
    }
    expect(n).toBeGreaterThan(0)
  })

  it('refuses an invalid object with every problem and its field path in status.message and status.details.causes', () => {
    const r = reviewAdmission(reviewOf(BAD_FWC), FWC).response
    expect(r.uid).toBe('705ab4f5-6393-11e8-b7cc-42010a800002')
    expect(r.allowed).toBe(false)
    expect(r.status?.code).toBe(422)
    expect(r.status?.reason).toBe('Invalid')
    const msg = r.status?.message ?? ''
    expect(msg).toMatch(/^FirewallConfiguration "liqo\/gw" is invalid \(3 problems\): /)
    expect(msg).toContain('spec.table.family: ')
    expect(msg).toContain('spec.table.chains[0].policy: ')
    expect(msg).toContain('spec.table.chains[0].rules.filterRules[0].match[0].ip.value: ')
    expect(msg).toMatch(/IPV5/)
    expect(r.status?.details?.causes.map((c) => c.field)).toEqual([
      'spec.table.family',
      'spec.table.chains[0].policy',
      'spec.table.chains[0].rules.filterRules[0].match[0].ip.value',
    ])
    expect(r.status?.details).toMatchObject({ name: 'gw', group: 'networking.liqo.io', kind: 'FirewallConfiguration' })
    for (const c of r.status?.details?.causes ?? []) expect(c.reason).toBe('FieldValueInvalid')
  })

  it('names the object from its metadata when the request has no name (generateName), and says "1 problem"', () => {
    const o = fwc({ family: 'IPV5' })
    ;(o.metadata as Obj).name = 'from-meta'
    const r = reviewAdmission(reviewOf(o, { name: '', namespace: '' }), FWC).response
    expect(r.status?.message).toMatch(/^FirewallConfiguration "liqo\/from-meta" is invalid \(1 problem\): spec\.table\.family: /)
  })

  it('lists at most 100 problems and counts the rest', () => {
    const chains = Array.from({ length: 150 }, (_, i) => ({ name: `c${i}`, type: 'filter', hook: 'forward', policy: 'maybe', rules: {} }))
    const r = reviewAdmission(reviewOf(fwc({ chains })), FWC).response
    expect(r.allowed).toBe(false)
    expect(r.status?.message).toMatch(/\(150 problems\)/)
    expect(r.status?.message).toMatch(/; and 50 more$/)
    expect(r.status?.details?.causes).toHaveLength(100)
    expect(r.status?.message).toContain('spec.table.chains[99].policy')
    expect(r.status?.message).not.toContain('spec.table.chains[100].policy')
  })

  it('allows DELETE and CONNECT without an object', () => {
    for (const operation of ['DELETE', 'CONNECT']) expect(reviewAdmission(reviewOf(null, { operation, oldObject: BAD_FWC }), FWC).response).toEqual({ uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true })
  })

  it('validates the new object on UPDATE (not the old one)', () => {
    expect(reviewAdmission(reviewOf(fwc(), { operation: 'UPDATE', oldObject: BAD_FWC }), FWC).response.allowed).toBe(true)
    expect(reviewAdmission(reviewOf(BAD_FWC, { operation: 'UPDATE', oldObject: fwc() }), FWC).response.allowed).toBe(false)
  })

  it('refuses a request for another resource kind, or an object of another kind (400 in the response)', () => {
    const wrong = reviewAdmission(reviewOf(fwc(), {}, { group: 'apps', version: 'v1', kind: 'Deployment' }), FWC).response
    expect(wrong).toMatchObject({ allowed: false, status: { code: 400, reason: 'BadRequest' } })
    expect(wrong.status?.message).toMatch(/validates FirewallConfiguration\.networking\.liqo\.io, not "Deployment" of group "apps"/)
    const obj = reviewAdmission(reviewOf({ ...fwc(), kind: 'ConfigMap' }), FWC).response
    expect(obj).toMatchObject({ allowed: false, status: { code: 400 } })
    expect(obj.status?.message).toMatch(/expected request.object of kind FirewallConfiguration, got "ConfigMap"/)
    expect(reviewAdmission(reviewOf(null), FWC).response).toMatchObject({ allowed: false, status: { code: 400, message: 'expected request.object (a FirewallConfiguration)' } })
  })

  it('throws AdmissionRequestError(400) for an envelope that is not an admission.k8s.io/v1 AdmissionReview with a uid', () => {
    const bad: [unknown, RegExp][] = [
      [[], /expected a JSON object/],
      ['x', /expected a JSON object/],
      [null, /expected a JSON object/],
      [{ ...reviewOf(fwc()), apiVersion: 'admission.k8s.io/v1beta1' }, /expected apiVersion admission\.k8s\.io\/v1 and kind AdmissionReview, got "admission\.k8s\.io\/v1beta1" "AdmissionReview"/],
      [{ ...reviewOf(fwc()), kind: 'Review' }, /got "admission\.k8s\.io\/v1" "Review"/],
      [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /expected request \(an AdmissionRequest object\)/],
      [reviewOf(fwc(), { uid: '' }), /expected request\.uid/],
      [reviewOf(fwc(), { uid: 42 }), /expected request\.uid/],
    ]
    for (const [body, msg] of bad) {
      let err: unknown
      try {
        reviewAdmission(body, FWC)
      } catch (e) {
        err = e
      }
      expect(err, String(msg)).toBeInstanceOf(AdmissionRequestError)
      expect((err as AdmissionRequestError).statusCode).toBe(400)
      expect((err as Error).message).toMatch(msg)
    }
  })

  it('quotes at most 80 characters of a bad envelope value', () => {
    expect(() => reviewAdmission({ apiVersion: 'x'.repeat(10_000), kind: 'AdmissionReview' }, FWC)).toThrow(/"x{79}\.\.\./)
  })
})

const np = (spec: Obj): Obj => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'default' }, spec })
const NP_KIND = { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' }

describe('review: NetworkPolicy (structural check)', () => {
  it('allows valid policies', () => {
    const valid = [
      np({ podSelector: {} }),
      np({ podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [] }),
      np({
        podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'Exists' }] },
        ingress: [
          {
            from: [{ podSelector: { matchLabels: { role: 'fe' } }, namespaceSelector: {} }, { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } }, { ipBlock: { cidr: 'fd00::/8', except: ['fd00:1::/32'] } }],
            ports: [{ protocol: 'TCP', port: 6379 }, { port: 'http-alt' }, { protocol: 'UDP', port: 32000, endPort: 32768 }, { protocol: 'SCTP' }],
          },
        ],
        egress: [{ to: [{ ipBlock: { cidr: '10.0.0.1/8' } }], ports: [{ port: 53, protocol: 'UDP' }] }],
      }),
    ]
    for (const p of valid) {
      expect(networkPolicyProblems(p)).toEqual([])
      expect(reviewAdmission(reviewOf(p, {}, NP_KIND), NP).response.allowed).toBe(true)
    }
  })

  it('refuses with field paths', () => {
    const p = np({
      podSelector: { matchExpressions: [{ key: 'tier', operator: 'Like', values: ['a'] }, { key: 'x', operator: 'In', values: [] }, { key: 'y', operator: 'Exists', values: ['z'] }] },
      policyTypes: ['Ingress', 'Sideways', 'Ingress'],
      ingress: [
        {
          from: [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/8', 'fd00::/8', 'nope', '11.0.0.0/16'] } }, {}, { ipBlock: { cidr: '10.0.0.0/33' } }],
          ports: [{ protocol: 'ICMP', port: 0 }, { port: 'Not_A_Name' }, { port: 'http', endPort: 90 }, { port: 100, endPort: 99 }],
          extra: 1,
        },
      ],
      egress: 'all',
    })
    const problems = networkPolicyProblems(p)
    expect(problems.map((x) => x.path)).toEqual([
      'spec.podSelector.matchExpressions[0].operator',
      'spec.podSelector.matchExpressions[1].values',
      'spec.podSelector.matchExpressions[2].values',
      'spec.policyTypes[1]',
      'spec.policyTypes[2]',
      'spec.ingress[0].extra',
      'spec.ingress[0].from[0].ipBlock',
      'spec.ingress[0].from[1].ipBlock.except[0]',
      'spec.ingress[0].from[1].ipBlock.except[1]',
      'spec.ingress[0].from[1].ipBlock.except[2]',
      'spec.ingress[0].from[1].ipBlock.except[3]',
      'spec.ingress[0].from[2]',
      'spec.ingress[0].from[3].ipBlock.cidr',
      'spec.ingress[0].ports[0].protocol',
      'spec.ingress[0].ports[0].port',
      'spec.ingress[0].ports[1].port',
      'spec.ingress[0].ports[2].endPort',
      'spec.ingress[0].ports[3].endPort',
      'spec.egress',
    ])
    const r = reviewAdmission(reviewOf(p, {}, NP_KIND), NP).response
    expect(r.allowed).toBe(false)
    expect(r.status?.message).toMatch(/^NetworkPolicy "liqo\/gw" is invalid \(19 problems\): spec\.podSelector\.matchExpressions\[0\]\.operator: expected In, NotIn, Exists or DoesNotExist, got "Like"; /)
    expect(r.status?.message).toContain('spec.ingress[0].from[1].ipBlock.except[0]: expected a CIDR strictly inside 10.0.0.0/8')
    expect(r.status?.message).toContain('spec.ingress[0].ports[2].endPort: needs a numeric port')
  })

  it('requires spec.podSelector and the right apiVersion and kind', () => {
    expect(networkPolicyProblems({ apiVersion: 'networking.k8s.io/v1beta1', kind: 'NetworkPolicy', spec: {} }).map((x) => x.path)).toEqual(['apiVersion', 'spec.podSelector'])
    expect(networkPolicyProblems({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' }).map((x) => x.path)).toEqual(['spec'])
    expect(networkPolicyProblems(7)).toEqual([{ path: '', message: 'expected an object' }])
  })

  it('then runs the NetworkPolicy compiler\'s reader, which is stricter (label syntax, object names), with paths from the object', () => {
    const cases: [Obj, string, RegExp][] = [
      [np({ podSelector: { matchLabels: { 'bad key!': 'x' } } }), 'spec.podSelector.matchLabels.bad key!', /expected a label key/],
      [np({ podSelector: { matchLabels: { app: 'x'.repeat(64) } } }), 'spec.podSelector.matchLabels.app', /expected a label value/],
      [{ ...np({ podSelector: {} }), metadata: { name: 'Bad_Name', namespace: 'default' } }, 'metadata.name', /DNS-1123 subdomain/],
    ]
    for (const [p, path, msg] of cases) {
      // The structural check alone lets these through; the reader does not.
      expect(networkPolicyProblems(p)).toEqual([])
      const problems = networkPolicyAdmissionProblems(p)
      expect(problems).toHaveLength(1)
      expect(problems[0].path).toBe(path)
      expect(problems[0].message).toMatch(msg)
      const r = reviewAdmission(reviewOf(p, {}, NP_KIND), NP).response
      expect(r.allowed).toBe(false)
      expect(r.status?.details?.causes[0].field).toBe(path)
    }
    // Structural problems come all at once, before the reader runs.
    expect(networkPolicyAdmissionProblems(np({ podSelector: { matchLabels: { 'bad key!': 'x' } }, policyTypes: ['Up', 'Down'] })).map((x) => x.path)).toEqual(['spec.policyTypes[0]', 'spec.policyTypes[1]'])
  })

  it('refuses a FirewallConfiguration sent to the NetworkPolicy path', () => {
    expect(reviewAdmission(reviewOf(fwc()), NP).response).toMatchObject({ allowed: false, status: { code: 400 } })
  })
})

describe('admissionHandler on a node:http server', () => {
  let server: Server
  let port: number
  beforeAll(async () => {
    loopbackUp()
    const handler = admissionHandler({ maxBodyBytes: 64 * 1024 })
    server = createServer((req, res) =>
      handler(req, res, () => {
        res.writeHead(299)
        res.end('the server\'s own route')
      }),
    )
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  const post = async (path: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }, method = 'POST') => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { method, body: method === 'GET' ? undefined : body, headers })
    return { status: r.status, type: r.headers.get('content-type'), text: await r.text() }
  }

  it('answers a review with 200 and the AdmissionReview JSON (allowed and refused)', async () => {
    const ok = await post(FWC_PATH, JSON.stringify(reviewOf(fwc())))
    expect(ok.status).toBe(200)
    expect(ok.type).toBe('application/json')
    expect(JSON.parse(ok.text)).toEqual({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: '705ab4f5-6393-11e8-b7cc-42010a800002', allowed: true } })
    const no = JSON.parse((await post(`${FWC_PATH}?timeout=10s`, JSON.stringify(reviewOf(BAD_FWC)), { 'content-type': 'application/json; charset=utf-8' })).text)
    expect(no.response.allowed).toBe(false)
    expect(no.response.status.message).toContain('spec.table.family')
  })

  it('400 with a clear message for a body that is not JSON or not an AdmissionReview', async () => {
    const notJson = await post(FWC_PATH, '{"apiVersion": "admission.k8s.io/v1", ')
    expect(notJson.status).toBe(400)
    expect(notJson.type).toMatch(/^text\/plain/)
    expect(notJson.text).toMatch(/^the body is not JSON: /)
    const empty = await post(FWC_PATH, '')
    expect(empty.status).toBe(400)
    expect(empty.text).toMatch(/^the body is not JSON/)
    const wrong = await post(FWC_PATH, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap' }))
    expect(wrong.status).toBe(400)
    expect(wrong.text).toBe('expected apiVersion admission.k8s.io/v1 and kind AdmissionReview, got "v1" "ConfigMap"\n')
  })

  it('413 for a body over the bound, declared or streamed, without buffering it', async () => {
    const big = Buffer.alloc(200 * 1024, 0x20)
    const declared = await post(FWC_PATH, big)
    expect(declared.status).toBe(413)
    expect(declared.text).toMatch(/at most 65536 are read/)
    // Chunked (no Content-Length): refused when the count passes the bound.
    const streamed = await new Promise<{ status?: number; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: FWC_PATH, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        let text = ''
        res.on('data', (c) => {
          text += c
        })
        res.on('end', () => resolve({ status: res.statusCode, text }))
      })
      req.on('error', reject)
      for (let i = 0; i < 20; i++) req.write(Buffer.alloc(16 * 1024, 0x20))
      req.end()
    })
    expect(streamed.status).toBe(413)
    expect(streamed.text).toMatch(/over 65536 bytes/)
    // The server still answers afterwards.
    expect((await post(FWC_PATH, JSON.stringify(reviewOf(fwc())))).status).toBe(200)
  })

  it('405 for a method other than POST, 415 for a Content-Type other than JSON', async () => {
    const get = await post(FWC_PATH, '', {}, 'GET')
    expect(get.status).toBe(405)
    expect(get.text).toBe('expected POST, got GET\n')
    const yaml = await post(FWC_PATH, 'a: 1', { 'content-type': 'application/yaml' })
    expect(yaml.status).toBe(415)
    expect(yaml.text).toMatch(/expected Content-Type application\/json, got application\/yaml/)
  })

  it('hands other paths to next() (the server\'s own routes), or 404 without one', async () => {
    const other = await post('/somewhere', '{}')
    expect(other.status).toBe(299)
    const plain = admissionHandler()
    const s = createServer((req, res) => plain(req, res))
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    try {
      const r = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/nope`, { method: 'POST', body: '{}' })
      expect(r.status).toBe(404)
      expect(await r.text()).toMatch(/no webhook at \/nope; serving \/validate-firewallconfiguration, \/validate-networkpolicy/)
    } finally {
      await new Promise<void>((r) => s.close(() => r()))
    }
  })

  it('serves /validate-networkpolicy', async () => {
    const r = JSON.parse((await post(NP_PATH, JSON.stringify(reviewOf(np({}), {}, NP_KIND)))).text) as { response: { allowed: boolean; status: { message: string } } }
    expect(r.response.allowed).toBe(false)
    expect(r.response.status.message).toContain('spec.podSelector: required')
  })
})

describe('deploy/webhook.yaml', () => {
  const docs = parseAllDocuments(readFileSync(join(import.meta.dirname, '..', '..', 'deploy', 'webhook.yaml'), 'utf8')).map((d) => d.toJS() as Obj)

  it('registers exactly the served paths, for the resources they validate, with AdmissionReview v1', () => {
    const cfg = docs.find((d) => d.kind === 'ValidatingWebhookConfiguration') as { webhooks: Obj[] }
    expect(cfg.webhooks.map((w) => (w.clientConfig as { service: { path: string } }).service.path).sort()).toEqual(Object.keys(ADMISSION_VALIDATORS).sort())
    for (const w of cfg.webhooks) {
      const path = (w.clientConfig as { service: { path: string; name: string; namespace: string } }).service
      const v = ADMISSION_VALIDATORS[path.path]
      const rule = (w.rules as { apiGroups: string[]; operations: string[] }[])[0]
      expect(rule.apiGroups).toEqual([v.group])
      expect(rule.operations).toEqual(['CREATE', 'UPDATE'])
      expect(w.admissionReviewVersions).toEqual(['v1'])
      expect(w.sideEffects).toBe('None')
      expect([path.name, path.namespace]).toEqual(['nftkit-webhook', 'nftkit'])
    }
  })

  it('runs nftkit webhook with options it accepts, on the port the Service targets', () => {
    const dep = docs.find((d) => d.kind === 'Deployment') as { spec: { template: { spec: { containers: { args: string[]; ports: { containerPort: number }[] }[] } } } }
    const c = dep.spec.template.spec.containers[0]
    expect(c.args[0]).toBe('webhook')
    const a = parseWebhookArgs(c.args.slice(1))
    expect(a.listen).toBe(':8443')
    const svc = docs.find((d) => d.kind === 'Service') as { spec: { ports: { targetPort: number }[] } }
    expect(svc.spec.ports[0].targetPort).toBe(8443)
    expect(c.ports[0].containerPort).toBe(8443)
  })
})

describe('admissionHandler: hostile bodies', () => {
  let server: Server
  let port: number
  const errors: string[] = []
  beforeAll(async () => {
    loopbackUp()
    const log = { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m), child: () => log }
    const handler = admissionHandler({
      log,
      validators: {
        ...ADMISSION_VALIDATORS,
        '/broken': {
          group: 'networking.liqo.io',
          kind: 'FirewallConfiguration',
          problems: () => {
            throw new TypeError('a bug')
          },
        },
      },
    })
    server = createServer((req, res) => handler(req, res))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  const post = async (path: string, body: string) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    return { status: r.status, text: await r.text() }
  }

  it('refuses an object nested 100 000 deep with a problem, not a stack overflow', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`
    const body = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"d","kind":{"group":"networking.liqo.io","kind":"FirewallConfiguration"},"operation":"CREATE","object":{"apiVersion":"networking.liqo.io/v1beta1","kind":"FirewallConfiguration","spec":{"table":${deep}}}}}`
    const r = await post(FWC_PATH, body)
    expect(r.status).toBe(200)
    const { response } = JSON.parse(r.text)
    expect(response.allowed).toBe(false)
    expect(response.status.message).toMatch(/spec\.table/)
  })

  it('a check that throws gives 500 and a logged error; the server keeps serving', async () => {
    const r = await post('/broken', JSON.stringify(reviewOf(fwc())))
    expect(r).toEqual({ status: 500, text: 'internal error in the admission check\n' })
    expect(errors).toEqual(['admission check failed'])
    expect((await post(FWC_PATH, JSON.stringify(reviewOf(fwc())))).status).toBe(200)
  })
})

describe('serveWebhook start-up failures (the TLS server itself: test/kernel/controller.webhook.test.ts)', () => {
  it('rejects (never throws) for a bad listen address and for a missing file', async () => {
    const p = serveWebhook({ tlsCert: '/nonexistent/tls.crt', tlsKey: '/nonexistent/tls.key', listen: 'nope' })
    expect(p).toBeInstanceOf(Promise)
    await expect(p).rejects.toBeInstanceOf(NftValidationError)
    await expect(serveWebhook({ tlsCert: '/nonexistent/tls.crt', tlsKey: '/nonexistent/tls.key', listen: '127.0.0.1:0' })).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
