import { randomBytes } from "node:crypto";
import { realClock, type Clock, type TimerHandle } from "../shared/clock.ts";
import { isNotFound, type KubeClient } from "./kube-client.ts";
import { microTime } from "./leader-election.ts";
import { silentLogger, type Logger } from "../shared/logging.ts";
import { apiVersionOf, type KubeObject, type ResourceType } from "./resource.ts";

export const EVENT_RESOURCE: ResourceType = {
  group: "events.k8s.io",
  version: "v1",
  plural: "events",
  kind: "Event",
  namespaced: true,
};

export type EventType = "Normal" | "Warning";

export interface EventInput {
  /** The object the event is about. */
  regarding: KubeObject;
  /** Its resource type, when the object lacks apiVersion/kind (list items of built-in kinds do). */
  resource?: ResourceType;
  type: EventType;
  /** Stable CamelCase reason, e.g. "Created". */
  reason: string;
  /** What was done or failed, e.g. "Create". */
  action: string;
  /** Human-readable; must never contain secrets. Truncated to 1 kB. */
  note: string;
}

export interface EventRecorderOptions {
  client: KubeClient;
  reportingController: string;
  reportingInstance: string;
  /** Repeats of the same regarding+type+reason+action+note within this window update one event (default 10 min). */
  aggregationWindowMs?: number;
  /** At most one series update per event per this interval (default 30 s, like client-go). */
  seriesUpdateIntervalMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** Bound on remembered series (oldest dropped first; default 4096). */
  maxSeries?: number;
  /** Event writes in flight at once (default 8); the rest wait their turn. */
  maxInFlight?: number;
  /**
   * Event writes waiting for a turn (default 1000). Beyond it new Events are dropped (and
   * counted in one log line), as client-go's broadcaster drops them: an Event is never worth
   * memory without bound or a burst of thousands of API writes (10,000 objects at start-up).
   */
  maxQueued?: number;
}

interface Series {
  namespace: string;
  name: string | undefined;
  count: number;
  writtenCount: number;
  firstAt: number;
  lastAt: number;
  lastWriteAt: number;
  timer: TimerHandle | undefined;
  /** The create in flight; series updates wait for it so a repeat never creates a second Event. */
  creating: Promise<void> | undefined;
  /** The input with `regarding` reduced to the reference an Event carries (not the whole object). */
  input: EventInput;
}

/**
 * Records events.k8s.io/v1 Events. The first occurrence creates an Event; repeats within the
 * aggregation window only bump `series.count` and `series.lastObservedTime` on that Event,
 * written at most once per series interval, so a reconcile loop cannot flood the API.
 * Recording never throws: failures are logged.
 */
export class EventRecorder {
  private readonly series = new Map<string, Series>();
  private readonly pending = new Set<Promise<void>>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly window: number;
  private readonly interval: number;
  private readonly maxSeries: number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private dropped = 0;

  constructor(private readonly opts: EventRecorderOptions) {
    this.clock = opts.clock ?? realClock;
    this.logger = (opts.logger ?? silentLogger).child({ component: "events" });
    this.window = opts.aggregationWindowMs ?? 600_000;
    this.interval = opts.seriesUpdateIntervalMs ?? 30_000;
    this.maxSeries = opts.maxSeries ?? 4096;
    this.maxInFlight = opts.maxInFlight ?? 8;
    this.maxQueued = opts.maxQueued ?? 1000;
  }

  record(full: EventInput): void {
    const now = this.clock.now();
    const input = { ...full, regarding: reference(full) };
    const key = seriesKey(input);
    const s = this.series.get(key);
    if (s && now - s.lastAt <= this.window) {
      s.count++;
      s.lastAt = now;
      this.scheduleSeriesWrite(s);
      return;
    }
    if (s?.timer) this.clock.clearTimeout(s.timer);
    const fresh: Series = {
      namespace: input.regarding.metadata.namespace || "default",
      name: undefined,
      count: 1,
      writtenCount: 1,
      firstAt: now,
      lastAt: now,
      lastWriteAt: now,
      timer: undefined,
      creating: undefined,
      input,
    };
    if (this.waiting.length >= this.maxQueued) {
      if (this.dropped++ === 0) {
        this.logger.warn(
          { maxQueued: this.maxQueued },
          "too many Events waiting to be written; dropping new ones",
        );
      }
      return;
    }
    if (this.dropped > 0) {
      this.logger.warn({ dropped: this.dropped }, "Events were dropped while too many waited");
      this.dropped = 0;
    }
    this.series.delete(key);
    this.series.set(key, fresh);
    while (this.series.size > this.maxSeries) {
      const oldest = this.series.keys().next().value as string;
      const o = this.series.get(oldest);
      if (o?.timer) this.clock.clearTimeout(o.timer);
      this.series.delete(oldest);
    }
    fresh.creating = this.inTurn(() => this.create(fresh));
    this.track(fresh.creating);
  }

  /** Runs one API write when fewer than maxInFlight are in flight. */
  private async inTurn(write: () => Promise<void>): Promise<void> {
    if (this.inFlight >= this.maxInFlight) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
    try {
      await write();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  normal(regarding: KubeObject, reason: string, action: string, note: string, resource?: ResourceType): void {
    this.record({ regarding, resource, type: "Normal", reason, action, note });
  }

  warning(
    regarding: KubeObject,
    reason: string,
    action: string,
    note: string,
    resource?: ResourceType,
  ): void {
    this.record({ regarding, resource, type: "Warning", reason, action, note });
  }

  /** Writes pending series updates now and waits for every write in flight (tests, shutdown). */
  async flush(): Promise<void> {
    for (const s of this.series.values()) {
      if (s.timer) {
        this.clock.clearTimeout(s.timer);
        s.timer = undefined;
        this.track(this.writeSeries(s));
      }
    }
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private scheduleSeriesWrite(s: Series): void {
    if (s.timer) return;
    const wait = Math.max(0, s.lastWriteAt + this.interval - this.clock.now());
    s.timer = this.clock.setTimeout(() => {
      s.timer = undefined;
      // Wait for the create outside the turn: a turn held while waiting could starve the create.
      this.track((s.creating ?? Promise.resolve()).then(() => this.inTurn(() => this.writeSeries(s))));
    }, wait);
  }

  private async create(s: Series): Promise<void> {
    const { input } = s;
    const count = s.count;
    const r = input.regarding;
    const name = `${(r.metadata.name ?? "object").slice(0, 200)}.${randomBytes(8).toString("hex")}`;
    const body: KubeObject = {
      metadata: { namespace: s.namespace, name },
      eventTime: microTime(s.firstAt),
      reportingController: this.opts.reportingController,
      reportingInstance: this.opts.reportingInstance.slice(0, 128),
      action: input.action.slice(0, 128),
      reason: input.reason.slice(0, 128),
      note: truncate(input.note, 1024),
      type: input.type,
      regarding: {
        apiVersion: r.apiVersion ?? (input.resource ? apiVersionOf(input.resource) : undefined),
        kind: r.kind ?? input.resource?.kind,
        namespace: r.metadata.namespace,
        name: r.metadata.name,
        uid: r.metadata.uid,
        resourceVersion: r.metadata.resourceVersion,
      },
      ...(count > 1 ? { series: { count, lastObservedTime: microTime(s.lastAt) } } : {}),
    };
    try {
      await this.opts.client.create(EVENT_RESOURCE, body);
      s.name = name;
      s.writtenCount = count;
      s.lastWriteAt = this.clock.now();
    } catch (err) {
      this.logger.warn({ err: String(err), reason: input.reason }, "could not record event");
    }
  }

  private async writeSeries(s: Series): Promise<void> {
    await s.creating;
    if (s.count === s.writtenCount) return;
    if (!s.name) return this.create(s); // the first write failed; try again as a new event
    const count = s.count;
    try {
      await this.opts.client.patch(
        EVENT_RESOURCE,
        s.namespace,
        s.name,
        { series: { count, lastObservedTime: microTime(s.lastAt) } },
        "merge",
      );
      s.writtenCount = count;
      s.lastWriteAt = this.clock.now();
    } catch (err) {
      if (isNotFound(err)) {
        s.name = undefined; // expired by the API's event TTL
        return this.create(s);
      }
      this.logger.warn({ err: String(err), reason: s.input.reason }, "could not update event series");
    }
  }
}

/** What an Event needs of the object it regards; the series keeps only this. */
function reference(e: EventInput): KubeObject {
  const r = e.regarding;
  return {
    apiVersion: r.apiVersion ?? (e.resource ? apiVersionOf(e.resource) : undefined),
    kind: r.kind ?? e.resource?.kind,
    metadata: {
      namespace: r.metadata.namespace,
      name: r.metadata.name,
      uid: r.metadata.uid,
      resourceVersion: r.metadata.resourceVersion,
    },
  };
}

function seriesKey(e: EventInput): string {
  const r = e.regarding.metadata;
  return [r.uid ?? `${r.namespace ?? ""}/${r.name ?? ""}`, e.type, e.reason, e.action, e.note].join("\u0000");
}

function truncate(s: string, max: number): string {
  return Buffer.byteLength(s) <= max
    ? s
    : `${Buffer.from(s)
        .subarray(0, max - 3)
        .toString("utf8")}...`;
}
