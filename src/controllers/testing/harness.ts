// Wires reconcilers for every kind to the in-memory cloud and Kubernetes, with a controllable clock.
import { Registry } from "prom-client";
import type { ManagedKind } from "../actuator.ts";
import { actuators, MANAGED_KINDS } from "../kinds.ts";
import { ResourceMetrics } from "../metrics.ts";
import type { Requeue } from "../outcome.ts";
import type { ProviderResolution, ProviderResolver } from "../ports.ts";
import { ManagedReconciler, type ReconcilerTiming } from "../reconciler.ts";
import { FakeCloud } from "./fake-cloud.ts";
import { FakeKube } from "./fake-kube.ts";

export class FakeProviders implements ProviderResolver {
  broken: string | undefined;
  fingerprintValue = "pc-1";
  resolves = 0;

  constructor(private readonly cloud: FakeCloud) {}

  async resolve(): Promise<ProviderResolution> {
    this.resolves++;
    if (this.broken) return { ok: false, reason: "ProviderConfigNotReady", message: this.broken };
    return { ok: true, api: this.cloud, fingerprint: this.fingerprintValue };
  }

  peekFingerprint(): string {
    return this.broken ? `broken:${this.broken}` : this.fingerprintValue;
  }
}

export class Harness {
  readonly cloud = new FakeCloud();
  readonly kube = new FakeKube();
  readonly providers = new FakeProviders(this.cloud);
  readonly registry = new Registry();
  readonly metrics = new ResourceMetrics(this.registry);
  nowMs = 1_800_000_000_000;
  readonly reconcilers: Record<ManagedKind, ManagedReconciler>;
  /** Names of objects whose credentials the cloud refused (the onCredentialsRejected hook). */
  readonly credentialsRejected: string[] = [];

  /** Keys the collection observer woke (only with `watch: true`). */
  readonly woken: string[] = [];

  /** `watch`: objects waiting on the cloud are watched by the collection observer, not polled. */
  constructor(timing: Partial<ReconcilerTiming> = {}, opts: { watch?: boolean } = {}) {
    const entries = MANAGED_KINDS.map((kind) => [
      kind,
      new ManagedReconciler({
        actuator: actuators[kind],
        cache: this.kube,
        writer: this.kube,
        events: this.kube,
        providers: this.providers,
        secrets: this.kube,
        metrics: this.metrics,
        onCredentialsRejected: (o) => this.credentialsRejected.push(o.metadata.name ?? ""),
        ...(opts.watch ? { wake: (key: string) => void this.woken.push(`${kind}/${key}`) } : {}),
        timing,
        now: () => this.nowMs,
        random: () => 0.5,
      }),
    ]);
    this.reconcilers = Object.fromEntries(entries) as Record<ManagedKind, ManagedReconciler>;
  }

  reconcile(kind: ManagedKind, name: string): Promise<Requeue | undefined> {
    return this.reconcilers[kind].reconcile("default", name);
  }

  /** Reconciles every listed object and completes cloud transitions, `rounds` times. */
  async converge(objects: Array<[ManagedKind, string]>, rounds = 8): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      for (const [kind, name] of objects) await this.reconcile(kind, name);
      this.cloud.settle();
      this.nowMs += 1_000;
    }
  }
}
