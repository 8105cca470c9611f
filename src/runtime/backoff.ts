/**
 * Jittered exponential backoff for reconnecting (client-go's reflector uses 800 ms .. 30 s):
 * each failure doubles the delay, a random part spreads many clients apart, and reset() starts over
 * after a healthy period.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly initialMs = 800,
    private readonly maxMs = 30_000,
    private readonly jitterFactor = 1.0,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** this.failures);
    this.failures++;
    return Math.min(this.maxMs, base * (1 + this.jitterFactor * this.random()));
  }

  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}
