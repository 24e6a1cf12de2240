/**
 * Error classes, messages and helpers.
 */
import { describe, expect, it } from 'vitest'
import { CASE_MS } from '../helpers/fuzz.js'
import {
  checkKeys,
  describe as describeValue,
  didYouMean,
  errnoName,
  explain,
  invalid,
  isAlreadyExists,
  isGenerationMismatch,
  isNotFound,
  messageName,
  NftError,
  NftValidationError,
} from '../../lib/kernel/errors.js'
import { constants } from 'node:os'
import * as api from '../../lib/index.js'

const nftError = (code: string, errno = 1) => new NftError({ errno, code, message: `${code} happened` })

describe('didYouMean', () => {
  const known = ['kind', 'family', 'table', 'name', 'type', 'hook', 'priority', 'policy', 'devices', 'comment', 'handle']

  it('suggests the closest known word for a typo', () => {
    expect(didYouMean('priorty', known)).toBe('priority')
    expect(didYouMean('polcy', known)).toBe('policy')
    expect(didYouMean('device', known)).toBe('devices')
    expect(didYouMean('tabel', known)).toBe('table')
    expect(didYouMean('Name', known)).toBe('name')
  })

  it('suggests nothing for words too far from every known word', () => {
    expect(didYouMean('xyzzy', known)).toBeUndefined()
    expect(didYouMean('elements', known)).toBeUndefined()
    expect(didYouMean('anything', [])).toBeUndefined()
  })

  it('allows more edits for longer words (max(2, len/3))', () => {
    // 2 edits for a short word
    expect(didYouMean('hk', ['hook'])).toBe('hook')
    expect(didYouMean('h', ['hook'])).toBeUndefined()
    // 'gcintervl' -> 'gcInterval' is 2 edits; fine
    expect(didYouMean('gcintervl', ['gcInterval'])).toBe('gcInterval')
    // 12 letters allow 4 edits
    expect(didYouMean('abcdefghijkl', ['abcdefghWXYZ'])).toBe('abcdefghWXYZ')
    expect(didYouMean('abcdefghijkl', ['abcdefgVWXYZ'])).toBeUndefined()
  })

  it('prefers the first of equally close words', () => {
    expect(didYouMean('cat', ['bat', 'hat'])).toBe('bat')
  })
})

describe('describe (values in messages)', () => {
  it('renders each kind of value', () => {
    expect(describeValue(undefined)).toBe('undefined')
    expect(describeValue(null)).toBe('null')
    expect(describeValue('x"y')).toBe('"x\\"y" (string)')
    expect(describeValue(42)).toBe('42 (number)')
    expect(describeValue(42n)).toBe('42 (bigint)')
    expect(describeValue(true)).toBe('true (boolean)')
    expect(describeValue([1, 2, 3])).toBe('an array of 3')
    expect(describeValue(new Uint8Array(5))).toBe('a byte array of 5')
    expect(describeValue(Buffer.alloc(2))).toBe('a byte array of 2')
    expect(describeValue({ key: 'a' })).toBe('{"key":"a"} (object)')
  })

  it('truncates long objects and survives unserialisable ones', () => {
    const long = describeValue({ k: 'x'.repeat(200) })
    expect(long.endsWith('... (object)')).toBe(true)
    expect(long.length).toBe(77 + '... (object)'.length)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(describeValue(cyclic)).toBe('{"self":{"self":{...}}} (object)')
    expect(describeValue({ n: 1n })).toBe('{"n":1n} (object)')
  })

  it('bounds the work, not just the output: huge, sparse, Proxy and throwing values', () => {
    const huge = { list: Array.from({ length: 1_000_000 }, (_, i) => i) }
    const t0 = performance.now()
    expect(describeValue(huge).length).toBeLessThanOrEqual(77 + '... (object)'.length)
    expect(describeValue({ s: 'x'.repeat(10_000_000) }).length).toBeLessThanOrEqual(77 + '... (object)'.length)
    expect(describeValue('y'.repeat(10_000_000))).toMatch(/^"y{80}"\.\.\. \(10000000 characters\) \(string\)$/)
    expect(describeValue({ a: Object.assign([], { length: 1e9 }) }).length).toBeLessThanOrEqual(77 + '... (object)'.length)
    expect(performance.now() - t0).toBeLessThan(CASE_MS)
    expect(describeValue(new Proxy({}, { ownKeys() { throw new Error('x') } }))).toBe('a Proxy')
    expect(describeValue({ get x() { throw new Error('x') } })).toBe('{"x":"?"} (object)')
    expect(describeValue(10n ** 100000n)).toBe('a bigint of more than 30 digits (bigint)')
  })
})

describe('NftValidationError', () => {
  it('is a TypeError with path, value, reason and a composed message', () => {
    const e = new NftValidationError('add(0).exprs[1].value', 'Expected a port', 'ssh')
    expect(e).toBeInstanceOf(TypeError)
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('NftValidationError')
    expect(e.path).toBe('add(0).exprs[1].value')
    expect(e.value).toBe('ssh')
    expect(e.reason).toBe('Expected a port')
    expect(e.message).toBe('Expected a port for add(0).exprs[1].value but received "ssh" (string)')
  })

  it('is what invalid() throws', () => {
    expect(() => invalid('p', 'Expected x', 1)).toThrow(NftValidationError)
    expect(() => invalid('p', 'Expected x', 1)).toThrow('Expected x for p but received 1 (number)')
  })
})

describe('checkKeys', () => {
  it('accepts known keys and names the unknown one with a suggestion', () => {
    expect(() => checkKeys({ kind: 'table', name: 'x' }, ['kind', 'name'], 'add(0)')).not.toThrow()
    try {
      checkKeys({ kind: 'chain', nmae: 'x' }, ['kind', 'name'], 'add(3)')
      expect.unreachable()
    } catch (e) {
      const err = e as NftValidationError
      expect(err).toBeInstanceOf(NftValidationError)
      expect(err.path).toBe('add(3).nmae')
      expect(err.value).toBe('x')
      expect(err.reason).toContain("did you mean 'name'?")
    }
  })
})

describe('NftError', () => {
  it('carries the kernel facts', () => {
    const other = nftError('ENOENT', 2)
    const e = new NftError({
      errno: 16,
      code: 'EBUSY',
      message: 'delete chain inet t c: chain is not empty or is still a jump target',
      op: 'DELCHAIN',
      index: 3,
      object: { kind: 'chain' },
      verb: 'delete',
      extMessage: 'x',
      others: [other],
    })
    expect(e).toBeInstanceOf(Error)
    expect(e).not.toBeInstanceOf(TypeError)
    expect(e.name).toBe('NftError')
    expect([e.errno, e.code, e.op, e.index, e.verb, e.extMessage]).toEqual([16, 'EBUSY', 'DELCHAIN', 3, 'delete', 'x'])
    expect(e.object).toEqual({ kind: 'chain' })
    expect(e.others).toEqual([other])
    expect(nftError('EPERM').others).toEqual([])
  })
})

describe('predicates', () => {
  it('isNotFound / isAlreadyExists / isGenerationMismatch test NftError codes', () => {
    expect(isNotFound(nftError('ENOENT'))).toBe(true)
    expect(isNotFound(nftError('EEXIST'))).toBe(false)
    expect(isAlreadyExists(nftError('EEXIST'))).toBe(true)
    expect(isAlreadyExists(nftError('ENOENT'))).toBe(false)
    expect(isGenerationMismatch(nftError('ERESTART'))).toBe(true)
    expect(isGenerationMismatch(nftError('EBUSY'))).toBe(false)
  })

  it('are false for anything that is not an NftError', () => {
    const lookalike = Object.assign(new Error('x'), { code: 'ENOENT' })
    for (const p of [isNotFound, isAlreadyExists, isGenerationMismatch]) {
      expect(p(lookalike)).toBe(false)
      expect(p({ code: 'ENOENT' })).toBe(false)
      expect(p(undefined)).toBe(false)
      expect(p(new NftValidationError('p', 'r', 1))).toBe(false)
    }
  })

  it('are exported from the package entry', () => {
    expect(api.isNotFound).toBe(isNotFound)
    expect(api.NftError).toBe(NftError)
    expect(api.NftValidationError).toBe(NftValidationError)
    expect(api.errnoName).toBe(errnoName)
  })
})

describe('errnoName', () => {
  it('names the errnos nf_tables returns for limits, never EUNKNOWN', () => {
    // The addon's old hand list had none of EFBIG, so 300 devices came back as EUNKNOWN.
    expect(errnoName(27)).toBe('EFBIG')
    expect(errnoName(7)).toBe('E2BIG')
    expect(errnoName(34)).toBe('ERANGE')
    expect(errnoName(90)).toBe('EMSGSIZE')
    expect(errnoName(75)).toBe('EOVERFLOW')
    expect(errnoName(2)).toBe('ENOENT')
    expect(errnoName(22)).toBe('EINVAL')
  })

  it('adds the Linux names Node lacks and prefers the kernel name of shared numbers', () => {
    expect(errnoName(85)).toBe('ERESTART')
    expect(errnoName(524)).toBe('ENOTSUPP')
    expect(errnoName(95)).toBe('EOPNOTSUPP') // not ENOTSUP
    expect(errnoName(11)).toBe('EAGAIN') // not EWOULDBLOCK
  })

  it('names every errno of os.constants.errno with a name of that number', () => {
    const table = constants.errno as Record<string, number>
    for (const n of Object.values(table)) expect(table[errnoName(n)]).toBe(n)
  })

  it('keeps the number of an errno with no name', () => {
    expect(errnoName(4000)).toBe('ERRNO_4000')
    for (let n = 1; n < 600; n++) expect(errnoName(n)).not.toBe('EUNKNOWN')
  })
})

describe('explain', () => {
  it('tells a busy chain from a busy set, map or table', () => {
    expect(explain('EBUSY', 'delete', 'chain')).toBe('chain is not empty or is still a jump target')
    expect(explain('EBUSY', 'delete', 'set')).toBe('set is still referenced by a rule')
    expect(explain('EBUSY', 'delete', 'map')).toBe('set is still referenced by a rule')
    expect(explain('EBUSY', 'delete', 'table')).toBe('table is in use')
    expect(explain('EBUSY', 'delete', 'counter')).toBe('object is still in use')
  })

  it('tells a missing reference on add from a missing object on delete', () => {
    for (const verb of ['add', 'create', 'insert', 'replace'])
      expect(explain('ENOENT', verb, 'rule')).toBe('something it refers to does not exist (table, chain, set, or rule handle)')
    expect(explain('ENOENT', 'delete', 'rule')).toBe('does not exist')
    expect(explain('ENOENT', 'flush', 'set')).toBe('does not exist')
  })

  it('explains the other common codes and passes unknown ones through', () => {
    expect(explain('EEXIST', 'create', 'table')).toBe('already exists')
    expect(explain('ERESTART', 'add', 'rule')).toContain('generation mismatch')
    expect(explain('EPERM', 'add', 'table')).toContain('CAP_NET_ADMIN')
    expect(explain('EOPNOTSUPP', 'add', 'chain')).toContain('not supported')
    expect(explain('ELOOP', 'add', 'rule')).toBe('would create a jump loop')
    expect(explain('ENOSPC', 'add', 'element')).toContain('set or map is full')
    expect(explain('EWHATEVER', 'add', 'rule')).toBe('EWHATEVER')
  })

  it('explains the size limits: devices per hook, rule size, netlink lengths', () => {
    expect(explain('EFBIG', 'add', 'chain')).toBe('too many devices: at most 255 devices per hook (the kernel\'s NFT_NETDEVICE_MAX is 256)')
    expect(explain('EFBIG', 'add', 'rule')).toContain('4 KiB or more of kernel memory')
    expect(explain('EFBIG', 'add', 'set')).toBe('too large for the kernel')
    expect(explain('EMSGSIZE', 'add', 'chain')).toContain('64 KiB per message or attribute')
    expect(explain('E2BIG', 'add', 'set')).toContain('too large for the kernel')
    expect(explain('ERANGE', 'add', 'table')).toContain('out of the range')
    expect(explain('EOVERFLOW', 'add', 'rule')).toContain('overflow')
  })
})

describe('messageName', () => {
  it('names NFT_MSG types with or without the subsystem bits', () => {
    expect(messageName(5)).toBe('DELCHAIN')
    expect(messageName(0x0a06)).toBe('NEWRULE')
    expect(messageName(0x10)).toBe('BATCH_BEGIN')
    expect(messageName(0x11)).toBe('BATCH_END')
    expect(messageName(0x0a0c)).toBe('NEWSETELEM')
    expect(messageName(99)).toBeUndefined()
  })
})
