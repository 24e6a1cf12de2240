/**
 * The Node side of `agent.py`: starts one agent inside a pod's namespace
 * (servers on TCP/UDP and the prober) and talks JSON lines with it.
 * @module
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { python } from './exec.js'

/** Path of the Python agent script. */
export const AGENT_SCRIPT = fileURLToPath(new URL('./agent.py', import.meta.url))

/** One message the agent printed: an answer (`results`), a stream event, or an error. */
export interface AgentMessage {
  readonly id?: number
  readonly event?: string
  readonly error?: string
  readonly [key: string]: unknown
}

/** A running agent in one namespace. */
export class PodAgent {
  /** Process id of the agent (python itself: `ip netns exec` execs it). */
  readonly pid: number
  private readonly child: ChildProcessWithoutNullStreams
  private readonly listeners = new Map<number, (m: AgentMessage) => void>()
  private readonly exited: Promise<void>
  private nextId = 1
  private stderr = ''
  private alive = true

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child
    this.pid = child.pid!
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
    child.once('exit', () => {
      this.alive = false
      const err: AgentMessage = { error: `agent ${this.pid} exited: ${this.stderr.trim()}` }
      for (const l of this.listeners.values()) l(err)
      this.listeners.clear()
    })
  }

  /**
   * Starts the agent in `netns` serving `port` with `token`; resolves once its
   * servers listen. `extraArgs` go to the script (e.g. `--ports 80,81 --sctp 1`).
   */
  static start(netns: string, port: number, token: string, readyMs = 10_000, extraArgs: readonly string[] = []): Promise<PodAgent> {
    const child = spawn('ip', ['netns', 'exec', netns, python(), '-I', '-S', '-u', AGENT_SCRIPT, '--port', String(port), '--token', token, ...extraArgs], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const agent = new PodAgent(child)
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      agent.stderr = (agent.stderr + s).slice(-4000)
    })
    child.stdin.on('error', () => {
      /* the agent died; exit handler reports it */
    })
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        agent.kill()
        reject(new Error(`agent in ${netns} not ready after ${readyMs} ms: ${agent.stderr.trim()}`))
      }, readyMs)
      const lines = createInterface({ input: child.stdout })
      lines.on('line', (line) => {
        let msg: AgentMessage
        try {
          msg = JSON.parse(line) as AgentMessage
        } catch {
          return
        }
        if (msg.event === 'ready') {
          clearTimeout(timer)
          resolve(agent)
        } else if (typeof msg.id === 'number') agent.listeners.get(msg.id)?.(msg)
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`agent in ${netns} exited (${code}) before ready: ${agent.stderr.trim()}`))
      })
    })
  }

  /** Sends a request; `onMessage` gets every message carrying its id until `off()`. */
  send(request: Record<string, unknown>, onMessage: (m: AgentMessage) => void): { id: number; off(): void } {
    const id = this.nextId++
    if (!this.alive) {
      queueMicrotask(() => onMessage({ id, error: `agent ${this.pid} is not running` }))
      return { id, off() {} }
    }
    this.listeners.set(id, onMessage)
    this.child.stdin.write(`${JSON.stringify({ ...request, id })}\n`)
    return { id, off: () => this.listeners.delete(id) }
  }

  /** Sends a request and resolves its single answer (rejects on an `error` answer). */
  request(request: Record<string, unknown>): Promise<AgentMessage> {
    return new Promise((resolve, reject) => {
      const h = this.send(request, (m) => {
        h.off()
        if (m.error !== undefined) reject(new Error(m.error))
        else resolve(m)
      })
    })
  }

  /** Writes a message without awaiting an answer (e.g. `stop`). */
  notify(request: Record<string, unknown>): void {
    if (this.alive) this.child.stdin.write(`${JSON.stringify(request)}\n`)
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.alive
  }

  /** SIGKILLs the agent and resolves once it has exited (and been reaped). */
  async kill(): Promise<void> {
    if (this.alive) {
      try {
        this.child.kill('SIGKILL')
      } catch {
        /* already gone */
      }
    }
    await this.exited
  }

  /** SIGKILL without waiting (for process-exit handlers). */
  killNow(): void {
    if (this.alive) {
      try {
        process.kill(this.pid, 'SIGKILL')
      } catch {
        /* already gone */
      }
    }
  }
}
