/**
 * Declared states over time, and the check that a probe stream never saw a
 * state that was not declared: every probe's outcome must be what the oracle
 * says for one of the states that could have been in force while it ran
 * (from the start of the call that declared a state until the end of the call
 * that replaced it).
 * @module
 */
import type { ClusterState } from '../../../lib/netpol/types.js'
import type { ProbeResult } from '../probe.js'
import { expected, observed } from './compare.js'

/** One declared state and the call that put it in force (CLOCK_MONOTONIC ms, as probes' `sent`). */
export interface Declared {
  readonly label: string
  readonly state: ClusterState
  readonly start: number
  readonly end: number
}

/** A probe no declared state explains. */
export interface Violation {
  readonly result: ProbeResult
  /** Labels of the states that could have been in force. */
  readonly candidates: readonly string[]
}

/** Indexes of the states that may have been in force at some time in [from, to]. */
export function candidates(timeline: readonly Declared[], from: number, to: number): number[] {
  const out: number[] = []
  for (let k = 0; k < timeline.length; k++) {
    const until = k + 1 < timeline.length ? timeline[k + 1].end : Number.POSITIVE_INFINITY
    if (timeline[k].start <= to && until >= from) out.push(k)
  }
  return out
}

/** The outcome of checking a stream against a timeline. */
export interface TimelineCheck {
  readonly probes: number
  /** Probes decided while a change was being applied (two candidate states). */
  readonly inTransition: number
  readonly violations: Violation[]
  /** Probes sent when only one state was possible that disagree with it (steady-state mismatches). */
  readonly steadyMismatches: number
}

/**
 * When the node decided a probe: its first packet (TCP SYN, the UDP datagram,
 * the SCTP INIT) leaves at `sent` and crosses the node at once; nothing later
 * is decided anew (replies and the rest of a connection are conntrack's, and
 * no retransmission happens within the probe timeout). An answered probe was
 * decided before its answer came (`sent + ms`); a blocked one within
 * `slackMs` of `sent` (the packet's way to the node on a loaded machine).
 */
export function decisionWindow(r: ProbeResult, slackMs = 100): [number, number] {
  return [r.sent, r.sent + (r.outcome === 'open' ? r.ms : Math.min(r.ms, slackMs))]
}

/** Checks every result against the states that may have been in force when the node decided it. */
export function checkTimeline(timeline: readonly Declared[], results: readonly ProbeResult[], slackMs = 100): TimelineCheck {
  let inTransition = 0
  let steadyMismatches = 0
  const violations: Violation[] = []
  for (const r of results) {
    const ks = candidates(timeline, ...decisionWindow(r, slackMs))
    if (ks.length > 1) inTransition++
    const got = observed(r)
    const explained = ks.some((k) => expected(timeline[k].state, r) === got)
    if (!explained) {
      violations.push({ result: r, candidates: ks.map((k) => timeline[k].label) })
      if (ks.length === 1) steadyMismatches++
    }
  }
  return { probes: results.length, inTransition, violations, steadyMismatches }
}
