// Wires reconcilers for every kind to the in-memory cloud and Kubernetes, with a controllable clock.
import { Registry } from "prom-client";
import type { BucketApi } from "../../client/s3.ts";
import { NotConnected, type ManagedKind } from "../generic/actuator.ts";
import { ResourceMetrics } from "../generic/metrics.ts";
import type { Requeue } from "../generic/outcome.ts";
import type {
  OutputOwner,
  OutputWrite,
  OutputWriter,
  ProviderResolution,
  ProviderResolver,
} from "../generic/ports.ts";
import { ManagedReconciler, type ReconcilerTiming } from "../generic/reconciler.ts";
import { actuators, MANAGED_KINDS } from "../kinds/index.ts";
import type { Provider, S3Target } from "../provider/resolver.ts";
import { TEST_INSTALLATION } from "./fake-actuator.ts";
import { FakeCloud } from "./fake-cloud.ts";
import { FakeKube } from "./fake-kube.ts";
import { FakeS3 } from "./fake-s3.ts";

/** The in-memory S3 as a config's S3 target; `workloadKeys`: the config names workload keys. */
export { TEST_INSTALLATION };

export function fakeS3Target(s3: FakeS3, workloadKeys: boolean): S3Target {
  return {
    s3: s3 as unknown as BucketApi,
    endpoint: "https://s3.bd-dha-1.example",
    region: "bd-dha-1",
    workloadKeys: workloadKeys
      ? () => Promise.resolve({ accessKeyId: "AK", secretAccessKey: "SK" })
      : undefined,
  };
}

export class FakeProviders implements ProviderResolver<Provider> {
  broken: string | undefined;
  /** When set, the config has no usable S3 credentials (Buckets wait on it). */
  s3Broken: string | undefined;
  /** Whether the config names workload S3 keys (Bucket outputs.secretName). */
  workloadKeys = true;
  fingerprintValue = "pc-1";
  resolves = 0;

  constructor(
    private readonly cloud: FakeCloud,
    private readonly s3: FakeS3,
  ) {}

  /** Where resources live (a change is a scope change). */
  scope = "test-project@bd-dha";

  async resolve(): Promise<ProviderResolution<Provider>> {
    this.resolves++;
    if (this.broken) return { ok: false, reason: "ProviderConfigNotReady", message: this.broken };
    const target = (): S3Target => fakeS3Target(this.s3, this.workloadKeys);
    const provider: Provider = {
      rest: this.cloud,
      s3: () => (this.s3Broken ? Promise.reject(new NotConnected(this.s3Broken)) : Promise.resolve(target())),
    };
    return { ok: true, provider, fingerprint: this.fingerprintValue, scope: this.scope };
  }

  peekFingerprint(): string {
    return this.broken ? `broken:${this.broken}` : this.fingerprintValue;
  }
}

/** Outputs as written, by `<kind>/<name>`; a name in `foreign` exists and is owned by someone else. */
export class FakeOutputs implements OutputWriter {
  readonly written = new Map<string, Record<string, string>>();
  readonly foreign = new Set<string>();

  ensureConfigMap(owner: OutputOwner, name: string, data: Record<string, string>): Promise<OutputWrite> {
    return Promise.resolve(this.write("ConfigMap", owner, name, data));
  }

  ensureSecret(owner: OutputOwner, name: string, data: Record<string, string>): Promise<OutputWrite> {
    return Promise.resolve(this.write("Secret", owner, name, data));
  }

  private write(kind: string, owner: OutputOwner, name: string, data: Record<string, string>): OutputWrite {
    const key = `${kind}/${name}`;
    if (this.foreign.has(key))
      return { conflict: `${kind} "${name}" already exists and is not owned by this ${owner.kind}` };
    const before = this.written.get(key);
    this.written.set(key, data);
    if (!before) return "created";
    return JSON.stringify(before) === JSON.stringify(data) ? "unchanged" : "updated";
  }
}

export class Harness {
  readonly cloud = new FakeCloud();
  readonly s3 = new FakeS3();
  readonly kube = new FakeKube();
  readonly outputs = new FakeOutputs();
  readonly providers = new FakeProviders(this.cloud, this.s3);
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
        installation: TEST_INSTALLATION,
        cache: this.kube,
        writer: this.kube,
        events: this.kube,
        providers: this.providers,
        secrets: this.kube,
        outputs: this.outputs,
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
