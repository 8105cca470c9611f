// Per-kind resource metrics: how many objects exist in the cloud, are Ready and Synced (gauges
// computed at scrape time from the last reconcile of each object), plus drift corrections,
// out-of-band recreations, reconcile outcomes and resync checks (counters).
import { Counter, Gauge, type Registry } from "prom-client";
import type { ManagedKind } from "./actuator.ts";

export interface ObjectFlags {
  exists: boolean;
  ready: boolean;
  synced: boolean;
}

export class ResourceMetrics {
  private readonly flags = new Map<ManagedKind, Map<string, ObjectFlags>>();
  private readonly driftTotal: Counter<"kind">;
  private readonly recreatedTotal: Counter<"kind">;
  private readonly outcomes: Counter<"kind" | "outcome">;
  private readonly resyncChecks: Counter<"kind" | "result">;

  constructor(registry: Registry) {
    const flags = this.flags;
    new Gauge({
      name: "clouddigit_managed_resources",
      help: "Managed objects per kind by state: exists (has a cloud resource), ready, synced, total.",
      labelNames: ["kind", "state"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [kind, byKey] of flags) {
          let exists = 0;
          let ready = 0;
          let synced = 0;
          for (const f of byKey.values()) {
            if (f.exists) exists++;
            if (f.ready) ready++;
            if (f.synced) synced++;
          }
          this.set({ kind, state: "exists" }, exists);
          this.set({ kind, state: "ready" }, ready);
          this.set({ kind, state: "synced" }, synced);
          this.set({ kind, state: "total" }, byKey.size);
        }
      },
    });
    this.driftTotal = new Counter({
      name: "clouddigit_drift_corrections_total",
      help: "Times a cloud resource was found to differ from an unchanged spec and was corrected.",
      labelNames: ["kind"] as const,
      registers: [registry],
    });
    this.recreatedTotal = new Counter({
      name: "clouddigit_recreated_resources_total",
      help: "Cloud resources deleted outside Kubernetes and created again.",
      labelNames: ["kind"] as const,
      registers: [registry],
    });
    this.outcomes = new Counter({
      name: "clouddigit_reconcile_outcomes_total",
      help: "Reconcile outcomes per kind: done, waiting, polling, retry, stalled, paused, gone.",
      labelNames: ["kind", "outcome"] as const,
      registers: [registry],
    });
    this.resyncChecks = new Counter({
      name: "clouddigit_resync_checks_total",
      help:
        "Resyncs of converged objects made as a look at the resource in a shared list: unchanged " +
        "(nothing else to do) or changed (the object was reconciled).",
      labelNames: ["kind", "result"] as const,
      registers: [registry],
    });
  }

  observe(kind: ManagedKind, key: string, flags: ObjectFlags): void {
    let byKey = this.flags.get(kind);
    if (!byKey) {
      byKey = new Map<string, ObjectFlags>();
      this.flags.set(kind, byKey);
    }
    byKey.set(key, flags);
  }

  forget(kind: ManagedKind, key: string): void {
    this.flags.get(kind)?.delete(key);
  }

  drift(kind: ManagedKind): void {
    this.driftTotal.inc({ kind });
  }

  recreated(kind: ManagedKind): void {
    this.recreatedTotal.inc({ kind });
  }

  outcome(kind: ManagedKind, outcome: string): void {
    this.outcomes.inc({ kind, outcome });
  }

  resyncCheck(kind: ManagedKind, result: "unchanged" | "changed"): void {
    this.resyncChecks.inc({ kind, result });
  }
}
