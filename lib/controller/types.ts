/**
 * What the controller's parts report through: a logger and a metrics sink
 * (the `Logger` of `createLogger` and `ControllerMetrics` fit).
 * @module
 */

/** What the controller logs through (the `Logger` of `createLogger` fits). */
export interface ControllerLogger {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void
}

/** What the controller reports metrics to (`ControllerMetrics` fits). */
export interface ControllerMetricsSink {
  recordReconcile(seconds: number, outcome: 'ok' | 'error', reason?: string): void
  setGeneration(n: number): void
}
