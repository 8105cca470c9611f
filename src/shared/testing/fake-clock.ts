import type { Clock, TimerHandle } from "../clock.ts";

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to, for unit tests of anything that takes a Clock. Timers fire
 * in due order (ties in the order they were set). Two ways to move it:
 * - advance(ms): synchronous; for code whose timers do their work synchronously (the runtime's
 *   queue, controller, reflector), with the test flushing promises itself between steps;
 * - advanceAsync(ms): lets promise callbacks run before and after each timer, so work that a timer
 *   starts and that sets the next timer after an await (the client's limiter, retries, token
 *   refresh) happens within the same advance.
 */
export class FakeClock implements Clock {
  private current: number;
  private timers: FakeTimer[] = [];
  private nextId = 1;

  constructor(startMs = 1_700_000_000_000) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.current + Math.max(0, ms), fn };
    this.timers.push(timer);
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== handle.id);
  }

  /** Number of timers not yet fired. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by ms, firing every timer due on the way (in order of due time). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (let due = this.nextDue(target); due; due = this.nextDue(target)) this.fire(due);
    this.current = target;
  }

  /** Like advance, but lets promise callbacks run before each timer and at the end. */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await flushMicrotasks();
      const due = this.nextDue(target);
      if (!due) break;
      this.fire(due);
    }
    this.current = target;
    await flushMicrotasks();
  }

  /** Removes and returns the earliest timer due by `target`, if any. */
  private nextDue(target: number): FakeTimer | undefined {
    this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
    const next = this.timers[0];
    if (!next || next.at > target) return undefined;
    this.timers.shift();
    return next;
  }

  private fire(timer: FakeTimer): void {
    this.current = Math.max(this.current, timer.at);
    timer.fn();
  }
}

/** Twenty turns of the microtask queue: enough for the awaits between a timer firing and the code it woke setting the next one. */
async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
