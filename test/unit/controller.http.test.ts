/**
 * The controller's endpoint server (/healthz, /readyz, /metrics over plain
 * HTTP on 127.0.0.1: test/helpers/loopback.ts brings `lo` up when the runner
 * is in a fresh namespace), parseListen, and the structured logger.
 */
import { Writable } from 'node:stream'
import { beforeAll, describe, expect, it } from 'vitest'
import { loopbackUp } from '../helpers/loopback.js'
import { NftValidationError } from '../../lib/kernel/errors.js'
import { parseListen, serveControllerHttp } from '../../lib/controller/http.js'
import { createLogger } from '../../lib/controller/log.js'
import { ControllerMetrics } from '../../lib/controller/metrics.js'
import { parseExposition, sampleValue } from '../helpers/prom-text.js'

describe('serveControllerHttp', () => {
  beforeAll(loopbackUp)
  it('serves /healthz always, /readyz once ready, /metrics in the text format; 404 and 405 otherwise', async () => {
    let ready = false
    const metrics = new ControllerMetrics({ processMetrics: false })
    metrics.setGeneration(3)
    const h = await serveControllerHttp({ listen: '127.0.0.1:0', metrics, isReady: () => ready })
    try {
      expect(h.address).toBe('127.0.0.1')
      expect(h.port).toBeGreaterThan(0)
      const get = async (path: string, method = 'GET') => {
        const r = await fetch(`http://127.0.0.1:${h.port}${path}`, { method })
        return { status: r.status, type: r.headers.get('content-type'), text: await r.text(), allow: r.headers.get('allow') }
      }
      expect(await get('/healthz')).toMatchObject({ status: 200, text: 'ok\n' })
      expect(await get('/readyz')).toMatchObject({ status: 503, text: 'not ready: no successful reconcile yet\n' })
      ready = true
      expect(await get('/readyz')).toMatchObject({ status: 200, text: 'ok\n' })
      expect(await get('/readyz?verbose')).toMatchObject({ status: 200 })
      const m = await get('/metrics')
      expect(m.status).toBe(200)
      expect(m.type).toBe('text/plain; version=0.0.4; charset=utf-8')
      expect(sampleValue(parseExposition(m.text), 'nftkit_applied_generation')).toBe(3)
      expect(await get('/metrics', 'HEAD')).toMatchObject({ status: 200, text: '' })
      expect(await get('/')).toMatchObject({ status: 404 })
      expect(await get('/metricsx')).toMatchObject({ status: 404 })
      expect(await get('/metrics', 'POST')).toMatchObject({ status: 405, allow: 'GET, HEAD' })
    } finally {
      await h.close()
    }
    await expect(fetch(`http://127.0.0.1:${h.port}/healthz`)).rejects.toThrow()
  })

  it('answers 500 with the reason when collecting fails, and keeps serving', async () => {
    let fail = true
    const metrics = {
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      text: async () => {
        if (fail) throw new Error('registry broke')
        return '# TYPE x gauge\nx 1\n'
      },
    }
    const h = await serveControllerHttp({ listen: '127.0.0.1:0', metrics, isReady: () => true })
    try {
      const r = await fetch(`http://127.0.0.1:${h.port}/metrics`)
      expect(r.status).toBe(500)
      expect(await r.text()).toBe('collecting metrics failed: registry broke\n')
      fail = false
      expect(await (await fetch(`http://127.0.0.1:${h.port}/metrics`)).text()).toBe('# TYPE x gauge\nx 1\n')
    } finally {
      await h.close()
    }
  })

  it('closes with a keep-alive client connected', async () => {
    const h = await serveControllerHttp({ listen: '127.0.0.1:0', metrics: new ControllerMetrics({ processMetrics: false }), isReady: () => true })
    await (await fetch(`http://127.0.0.1:${h.port}/healthz`, { keepalive: true })).text()
    await h.close()
  })

  it('rejects with EADDRINUSE for a taken port, and refuses a bad address before binding', async () => {
    const a = await serveControllerHttp({ listen: '127.0.0.1:0', metrics: new ControllerMetrics({ processMetrics: false }), isReady: () => true })
    try {
      await expect(serveControllerHttp({ listen: `127.0.0.1:${a.port}`, metrics: new ControllerMetrics({ processMetrics: false }), isReady: () => true })).rejects.toMatchObject({ code: 'EADDRINUSE' })
    } finally {
      await a.close()
    }
    expect(() => serveControllerHttp({ listen: 'localhost', metrics: new ControllerMetrics({ processMetrics: false }), isReady: () => true })).toThrow(NftValidationError)
  })
})

describe('parseListen', () => {
  it.each<[string, object]>([
    [':8080', { port: 8080 }],
    ['0.0.0.0:9090', { host: '0.0.0.0', port: 9090 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    ['[::1]:8443', { host: '::1', port: 8443 }],
    ['[::]:8443', { host: '::', port: 8443 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
  ])('%s', (s, want) => expect(parseListen(s)).toEqual(want))

  it.each(['8080', ':', ':65536', '::1:80', '1.2.3.4:', 'a:b', '[::1]', ':80 ', ':-1'])('refuses %j with the field path', (s) => {
    expect(() => parseListen(s, 'controller.listen')).toThrow(NftValidationError)
    try {
      parseListen(s, 'controller.listen')
    } catch (e) {
      expect((e as NftValidationError).message).toMatch(/controller\.listen/)
      expect((e as Error).message).toMatch(/expected ADDR:PORT/)
    }
  })
})

function sink() {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean))
      cb()
    },
  })
  return { stream, lines }
}

const NOW = () => new Date('2026-12-03T06:00:00.000Z')

describe('createLogger', () => {
  it('json: one object per line with time, level, msg first, then the fields', () => {
    const { stream, lines } = sink()
    const log = createLogger('json', stream, { now: NOW })
    log.info('reconciled', { operations: 3, tables: ['inet fw'], genId: 10n })
    log.child({ object: 'liqo/gw' }).warn('status conflict', { attempt: 2, object: 'override', time: 'field' })
    const err = Object.assign(new Error('Device or resource busy'), { code: 'EBUSY' })
    log.error('apply failed', { err })
    log.debug('dropped at info')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toBe('{"time":"2026-12-03T06:00:00.000Z","level":"info","msg":"reconciled","operations":3,"tables":["inet fw"],"genId":"10"}')
    expect(JSON.parse(lines[1])).toEqual({ time: '2026-12-03T06:00:00.000Z', level: 'warn', msg: 'status conflict', object: 'override', attempt: 2, 'field.time': 'field' })
    expect(JSON.parse(lines[2]).err).toEqual({ name: 'Error', message: 'Device or resource busy', code: 'EBUSY' })
  })

  it('json: a field with a cycle is written as text, the line is still one object', () => {
    const { stream, lines } = sink()
    const cyc: Record<string, unknown> = { a: 1 }
    cyc.self = cyc
    createLogger('json', stream, { now: NOW }).info('x', { cyc, ok: true })
    expect(JSON.parse(lines[0])).toEqual({ time: '2026-12-03T06:00:00.000Z', level: 'info', msg: 'x', cyc: '[object Object]', ok: true })
  })

  it('text: time, level, message and key=value pairs, quoted when needed; levels filter', () => {
    const { stream, lines } = sink()
    const log = createLogger('text', stream, { now: NOW, level: 'debug' })
    log.debug('start', { listen: ':8443' })
    log.info('refused', { message: 'spec.table.family: expected one of "INET"', n: 2, empty: '', list: [1, 2] })
    expect(lines).toEqual([
      '2026-12-03T06:00:00.000Z DEBUG start listen=:8443',
      '2026-12-03T06:00:00.000Z INFO  refused message="spec.table.family: expected one of \\"INET\\"" n=2 empty="" list=[1,2]',
    ])
    const quiet = sink()
    const w = createLogger('text', quiet.stream, { now: NOW, level: 'warn' })
    w.info('no')
    w.error('yes')
    expect(quiet.lines).toEqual(['2026-12-03T06:00:00.000Z ERROR yes'])
  })

  it('refuses an unknown format or level', () => {
    expect(() => createLogger('yaml' as 'json')).toThrow(/Expected a log format of json or text but received "yaml"/)
    expect(() => createLogger('json', process.stderr, { level: 'loud' as 'info' })).toThrow(/log level/)
  })
})
