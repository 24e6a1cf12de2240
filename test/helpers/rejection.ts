/** Shared assertion of the unit tests: a call must fail validation. */
import { expect } from 'vitest'
import { NftValidationError } from '../../lib/kernel/errors.js'

/** Runs f and returns the NftValidationError it throws (fails the test otherwise). */
export function rejection(f: () => unknown): NftValidationError {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(NftValidationError)
    expect(e).toBeInstanceOf(TypeError)
    expect((e as Error).name).toBe('NftValidationError')
    return e as NftValidationError
  }
  throw new Error('expected an NftValidationError, nothing was thrown')
}

/** Runs f and returns the error it throws, checked to be a `type` (fails the test otherwise). */
export function thrown<E extends Error>(f: () => unknown, type: new (...args: never[]) => E): E {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(type)
    return e as E
  }
  throw new Error(`expected a ${type.name}, nothing was thrown`)
}
