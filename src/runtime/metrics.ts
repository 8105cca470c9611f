import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** What the work queue reports about itself for the unfinished/longest-running gauges. */
export interface QueueProbe {
  readonly name: string;
  /** Seconds each in-flight item has been processing so far. */
  processingSeconds(): number[];
}

// controller-runtime's buckets: 10ns .. 10^3 s for the queue, and its reconcile-time list.
const QUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/**
 * The metric families every controller-runtime operator exposes, with the same names and labels,
 * registered once per prom-client Registry (tests pass their own registry).
 */
export class RuntimeMetrics {
  readonly depth: Gauge<"name" | "controller">;
  readonly adds: Counter<"name" | "controller">;
  readonly queueDuration: Histogram<"name" | "controller">;
  readonly workDuration: Histogram<"name" | "controller">;
  readonly retries: Counter<"name" | "controller">;
  readonly unfinishedWork: Gauge<"name" | "controller">;
  readonly longestRunning: Gauge<"name" | "controller">;
  readonly reconcileTotal: Counter<"controller" | "result">;
  readonly reconcileErrors: Counter<"controller">;
  readonly reconcileTime: Histogram<"controller">;
  readonly maxConcurrentReconciles: Gauge<"controller">;
  readonly activeWorkers: Gauge<"controller">;
  readonly leaderElection: Gauge<"name">;
  private readonly probes = new Set<QueueProbe>();

  private constructor(readonly registry: Registry) {
    const probes = this.probes;
    const registers = [registry];
    this.depth = new Gauge({
      name: "workqueue_depth",
      help: "Current depth of workqueue",
      labelNames: ["name", "controller"],
      registers,
    });
    this.adds = new Counter({
      name: "workqueue_adds_total",
      help: "Total number of adds handled by workqueue",
      labelNames: ["name", "controller"],
      registers,
    });
    this.queueDuration = new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "How long in seconds an item stays in workqueue before being requested",
      labelNames: ["name", "controller"],
      buckets: QUEUE_BUCKETS,
      registers,
    });
    this.workDuration = new Histogram({
      name: "workqueue_work_duration_seconds",
      help: "How long in seconds processing an item from workqueue takes.",
      labelNames: ["name", "controller"],
      buckets: QUEUE_BUCKETS,
      registers,
    });
    this.retries = new Counter({
      name: "workqueue_retries_total",
      help: "Total number of retries handled by workqueue",
      labelNames: ["name", "controller"],
      registers,
    });
    this.unfinishedWork = new Gauge({
      name: "workqueue_unfinished_work_seconds",
      help:
        "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. " +
        "Large values indicate stuck threads.",
      labelNames: ["name", "controller"],
      registers,
      collect() {
        for (const p of probes) {
          this.set({ name: p.name, controller: p.name }, sum(p.processingSeconds()));
        }
      },
    });
    this.longestRunning = new Gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running.",
      labelNames: ["name", "controller"],
      registers,
      collect() {
        for (const p of probes) {
          this.set({ name: p.name, controller: p.name }, Math.max(0, ...p.processingSeconds()));
        }
      },
    });
    this.reconcileTotal = new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.maxConcurrentReconciles = new Gauge({
      name: "controller_runtime_max_concurrent_reconciles",
      help: "Maximum number of concurrent reconciles per controller",
      labelNames: ["controller"],
      registers,
    });
    this.activeWorkers = new Gauge({
      name: "controller_runtime_active_workers",
      help: "Number of currently used workers per controller",
      labelNames: ["controller"],
      registers,
    });
    this.leaderElection = new Gauge({
      name: "leader_election_master_status",
      help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.",
      labelNames: ["name"],
      registers,
    });
  }

  private static readonly byRegistry = new WeakMap<Registry, RuntimeMetrics>();

  /** The runtime metrics registered on registry (created on first use). */
  static for(registry: Registry): RuntimeMetrics {
    let m = RuntimeMetrics.byRegistry.get(registry);
    if (!m) {
      m = new RuntimeMetrics(registry);
      RuntimeMetrics.byRegistry.set(registry, m);
    }
    return m;
  }

  addProbe(probe: QueueProbe): () => void {
    this.probes.add(probe);
    return () => this.probes.delete(probe);
  }
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
