import { realClock, type Clock, type TimerHandle } from "../shared/clock.ts";
import type { RuntimeMetrics } from "./metrics.ts";
import { defaultControllerRateLimiter, type RateLimiter } from "./rate-limiter.ts";

/**
 * Priorities: higher runs first. User-visible work (a new generation, a delete) should use High,
 * periodic resync and the initial list Low, everything else Normal. Urgent is for finishing work
 * already under way (an external wait ended, e.g. the cloud finished a transition): a short
 * reconcile that should not queue behind a backlog of new High work.
 */
export const Priority = { Low: -100, Normal: 0, High: 100, Urgent: 200 } as const;

export interface AddOptions {
  priority?: number;
}

export interface QueueItem {
  key: string;
  priority: number;
  /** Failures counted by the rate limiter since the key last succeeded. */
  retries: number;
}

export interface WorkQueueOptions {
  /** Used as the `name` and `controller` label of the workqueue metrics. */
  name: string;
  clock?: Clock;
  rateLimiter?: RateLimiter;
  metrics?: RuntimeMetrics;
}

interface DirtyEntry {
  priority: number;
  seq: number;
  addedAt: number;
}

interface QueuedEntry {
  key: string;
  seq: number;
}

interface DelayedEntry {
  key: string;
  readyAt: number;
  priority: number;
  seq: number;
}

/** FIFO with O(1) amortised push/shift. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  push(x: T): void {
    this.items.push(x);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }

  get size(): number {
    return this.items.length - this.head;
  }
}

/** Binary min-heap of delayed adds ordered by readyAt. */
class DelayHeap {
  private readonly heap: DelayedEntry[] = [];

  push(e: DelayedEntry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.readyAt <= h[i]!.readyAt) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  peek(): DelayedEntry | undefined {
    return this.heap[0];
  }

  pop(): DelayedEntry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.readyAt < h[m]!.readyAt) m = l;
        if (r < h.length && h[r]!.readyAt < h[m]!.readyAt) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}

/**
 * A rate-limited, delaying, priority work queue with controller-runtime semantics:
 * - a key is queued at most once (adds of a pending key are merged; the higher priority wins);
 * - a key is handed to at most one worker at a time; if it is added while being processed it is
 *   queued again when the worker calls done();
 * - addAfter() delays an add (the earliest of several delays wins);
 * - addRateLimited() delays by the rate limiter (per-item exponential backoff combined with an
 *   overall token bucket); forget() clears the item's backoff after a success.
 */
export class WorkQueue {
  readonly name: string;
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter;
  private readonly metrics: RuntimeMetrics | undefined;
  private readonly queues = new Map<number, Fifo<QueuedEntry>>();
  private priorities: number[] = [];
  private readonly dirty = new Map<string, DirtyEntry>();
  private readonly processing = new Map<string, number>();
  private readonly delayed = new Map<string, DelayedEntry>();
  private readonly delayHeap = new DelayHeap();
  private delayTimer: { handle: TimerHandle; at: number } | undefined;
  private readonly waiters: Array<(item: QueueItem | undefined) => void> = [];
  private queued = 0;
  private seq = 0;
  private shuttingDown = false;
  private readonly drained: Array<() => void> = [];
  private readonly removeProbe: (() => void) | undefined;
  private readonly labels: { name: string; controller: string };

  constructor(opts: WorkQueueOptions) {
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    this.rateLimiter = opts.rateLimiter ?? defaultControllerRateLimiter({ clock: this.clock });
    this.metrics = opts.metrics;
    this.labels = { name: opts.name, controller: opts.name };
    this.removeProbe = this.metrics?.addProbe({
      name: opts.name,
      processingSeconds: () => [...this.processing.values()].map((t) => (this.clock.now() - t) / 1000),
    });
    this.metrics?.depth.set(this.labels, 0);
  }

  /** Queues key now (merged with a pending add of the same key). */
  add(key: string, opts: AddOptions = {}): void {
    if (this.shuttingDown) return;
    const priority = opts.priority ?? Priority.Normal;
    const existing = this.dirty.get(key);
    if (existing) {
      // Already pending: only a priority raise matters. A key being processed is not in a
      // FIFO yet; done() queues it at the (possibly raised) priority.
      if (priority > existing.priority) {
        existing.priority = priority;
        if (!this.processing.has(key)) {
          existing.seq = ++this.seq;
          this.enqueue(key, existing.seq, priority);
          this.queued--; // the stale entry left in the lower FIFO no longer counts
        }
      }
      return;
    }
    this.metrics?.adds.inc(this.labels);
    const entry: DirtyEntry = { priority, seq: ++this.seq, addedAt: this.clock.now() };
    this.dirty.set(key, entry);
    if (this.processing.has(key)) return;
    this.enqueue(key, entry.seq, priority);
    this.wake();
  }

  /** Queues key after delayMs (0 or less: now). Of several pending delays for a key, the earliest wins. */
  addAfter(key: string, delayMs: number, opts: AddOptions = {}): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key, opts);
    const priority = opts.priority ?? Priority.Normal;
    const readyAt = this.clock.now() + delayMs;
    const current = this.delayed.get(key);
    if (current && current.readyAt <= readyAt) {
      current.priority = Math.max(current.priority, priority);
      return;
    }
    const entry: DelayedEntry = {
      key,
      readyAt,
      priority: Math.max(priority, current?.priority ?? priority),
      seq: ++this.seq,
    };
    this.delayed.set(key, entry);
    this.delayHeap.push(entry);
    this.armDelayTimer();
  }

  /** Queues key after the rate limiter's delay for it (counts a retry). */
  addRateLimited(key: string, opts: AddOptions = {}): void {
    if (this.shuttingDown) return;
    this.metrics?.retries.inc(this.labels);
    this.addAfter(key, this.rateLimiter.when(key), opts);
  }

  /** Clears key's backoff history (call after a successful reconcile). */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  retries(key: string): number {
    return this.rateLimiter.retries(key);
  }

  /** The next key to process, highest priority first; undefined once the queue is shut down. */
  get(): Promise<QueueItem | undefined> {
    const item = this.take();
    if (item || this.shuttingDown) return Promise.resolve(item);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks key as no longer being processed; queues it again if it was added meanwhile. */
  done(key: string): void {
    const started = this.processing.get(key);
    if (started === undefined) return;
    this.processing.delete(key);
    this.metrics?.workDuration.observe(this.labels, (this.clock.now() - started) / 1000);
    const pending = this.dirty.get(key);
    if (pending && !this.shuttingDown) {
      this.enqueue(key, pending.seq, pending.priority);
      this.wake();
    }
    if (this.processing.size === 0) for (const r of this.drained.splice(0)) r();
  }

  /** Keys waiting to be handed out (not counting delayed ones or those being processed). */
  len(): number {
    return this.queued;
  }

  /** Keys currently handed to workers. */
  processingCount(): number {
    return this.processing.size;
  }

  /** Keys waiting for a delayed add. */
  delayedCount(): number {
    return this.delayed.size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops handing out keys: get() resolves undefined from now on; delayed adds are dropped. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.delayTimer) this.clock.clearTimeout(this.delayTimer.handle);
    this.delayTimer = undefined;
    this.delayHeap.clear();
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
    this.removeProbe?.();
  }

  /** Shuts down and resolves once every key handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private enqueue(key: string, seq: number, priority: number): void {
    let fifo = this.queues.get(priority);
    if (!fifo) {
      fifo = new Fifo();
      this.queues.set(priority, fifo);
      this.priorities = [...this.queues.keys()].sort((a, b) => b - a);
    }
    fifo.push({ key, seq });
    this.queued++;
    this.metrics?.depth.set(this.labels, this.queued);
  }

  private take(): QueueItem | undefined {
    if (this.shuttingDown) return undefined;
    for (const priority of this.priorities) {
      const fifo = this.queues.get(priority)!;
      for (let e = fifo.shift(); e; e = fifo.shift()) {
        const d = this.dirty.get(e.key);
        // Entries superseded by a priority raise are skipped (and were already uncounted).
        if (!d || d.seq !== e.seq || this.processing.has(e.key)) continue;
        this.queued--;
        this.metrics?.depth.set(this.labels, this.queued);
        this.dirty.delete(e.key);
        const now = this.clock.now();
        this.processing.set(e.key, now);
        this.metrics?.queueDuration.observe(this.labels, (now - d.addedAt) / 1000);
        return { key: e.key, priority: d.priority, retries: this.rateLimiter.retries(e.key) };
      }
    }
    return undefined;
  }

  private wake(): void {
    while (this.waiters.length > 0) {
      const item = this.take();
      if (!item) return;
      this.waiters.shift()!(item);
    }
  }

  private armDelayTimer(): void {
    const next = this.delayHeap.peek();
    if (!next) return;
    if (this.delayTimer && this.delayTimer.at <= next.readyAt) return;
    if (this.delayTimer) this.clock.clearTimeout(this.delayTimer.handle);
    const at = next.readyAt;
    this.delayTimer = { at, handle: this.clock.setTimeout(() => this.fireDelayed(), at - this.clock.now()) };
  }

  private fireDelayed(): void {
    this.delayTimer = undefined;
    const now = this.clock.now();
    for (let e = this.delayHeap.peek(); e && e.readyAt <= now; e = this.delayHeap.peek()) {
      this.delayHeap.pop();
      if (this.delayed.get(e.key) !== e) continue; // superseded by an earlier delay
      this.delayed.delete(e.key);
      this.add(e.key, { priority: e.priority });
    }
    this.armDelayTimer();
  }
}
