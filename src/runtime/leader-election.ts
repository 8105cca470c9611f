import { isDeepStrictEqual } from "node:util";
import { jitter, realClock, sleep, type Clock } from "../shared/clock.ts";
import { isAlreadyExists, isConflict, isNotFound, type KubeClient } from "./kube-client.ts";
import { silentLogger, type Logger } from "../shared/logging.ts";
import type { KubeObject, ResourceType } from "./resource.ts";

export const LEASE_RESOURCE: ResourceType = {
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  kind: "Lease",
  namespaced: true,
};

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionConfig {
  /** Namespace and name of the coordination.k8s.io/v1 Lease. */
  namespace: string;
  name: string;
  /** Unique per replica (default: hostname + random suffix, chosen by the manager). */
  identity: string;
  /** How long a standby waits after last seeing the lease change before taking it (default 15 s). */
  leaseDurationMs?: number;
  /** The leader gives up if it could not renew for this long (default 10 s). */
  renewDeadlineMs?: number;
  /**
   * Interval between attempts to acquire or renew (default 2 s). Acquisition attempts get up to
   * 20% jitter (client-go uses 120%) and one extra attempt exactly when the holder's lease expires.
   */
  retryPeriodMs?: number;
  /** Clear holderIdentity when stopped while leading, so a standby takes over at once (default true). */
  releaseOnCancel?: boolean;
}

export interface LeaderElectionCallbacks {
  onStartedLeading(): void;
  /** Called once when leadership ends, whether lost or released. */
  onStoppedLeading(): void;
  onNewLeader?(identity: string): void;
}

/** Why run() returned. */
export type LeaderElectionEnd = "released" | "lost" | "cancelled";

/**
 * client-go's leader election on a Lease: acquire when the holder is empty or has not renewed
 * within the lease duration (as observed locally, so clock skew between replicas does not
 * matter); renew every retry period; give up when renewals fail for the renew deadline.
 */
export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly logger: Logger;
  private observedSpec: LeaseSpec | undefined;
  private observedAt = 0;
  private leading = false;
  /** When the other holder's lease runs out by our observation (undefined: free or ours). */
  private observedExpiry: number | undefined;
  private reportedLeader: string | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly config: LeaderElectionConfig,
    private readonly callbacks: LeaderElectionCallbacks,
    private readonly clock: Clock = realClock,
    logger: Logger = silentLogger,
  ) {
    this.leaseDurationMs = config.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = config.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = config.retryPeriodMs ?? 2_000;
    if (this.leaseDurationMs <= this.renewDeadlineMs)
      throw new Error("leaseDuration must be greater than renewDeadline");
    if (this.renewDeadlineMs <= this.retryPeriodMs * 1.2)
      throw new Error("renewDeadline must be greater than retryPeriod*1.2");
    this.logger = logger.child({ lease: `${config.namespace}/${config.name}`, identity: config.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed (may be stale by up to a retry period). */
  currentLeader(): string | undefined {
    return this.observedSpec?.holderIdentity || undefined;
  }

  /**
   * Campaigns until leading, then renews until the signal aborts (then releases the lease) or
   * renewal fails for the renew deadline (leadership lost).
   */
  async run(signal: AbortSignal): Promise<LeaderElectionEnd> {
    if (!(await this.acquire(signal))) return "cancelled";
    this.leading = true;
    this.logger.info("became leader");
    this.callbacks.onStartedLeading();
    const end = await this.renewLoop(signal);
    this.leading = false;
    if (end === "released") await this.release();
    this.logger.info({ end }, "leadership ended");
    this.callbacks.onStoppedLeading();
    return end;
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) return true;
      // Retry every period (20% jitter spreads replicas), but also right when the holder's lease
      // expires by our observation, so a takeover after a crash costs the lease duration plus at
      // most one retry period (the delay in seeing its last renewal), not two.
      let wait = jitter(this.retryPeriodMs, 0.2);
      if (this.observedExpiry !== undefined)
        wait = Math.min(wait, Math.max(0, this.observedExpiry - this.clock.now()) + 5);
      await sleep(this.clock, wait, signal).catch(() => undefined);
    }
    return false;
  }

  private async renewLoop(signal: AbortSignal): Promise<"released" | "lost"> {
    let lastRenew = this.clock.now();
    for (;;) {
      await sleep(this.clock, this.retryPeriodMs, signal).catch(() => undefined);
      if (signal.aborted) return "released";
      const timeout = AbortSignal.timeout(Math.max(1, this.renewDeadlineMs - (this.clock.now() - lastRenew)));
      if (await this.tryAcquireOrRenew(timeout)) {
        lastRenew = this.clock.now();
      } else if (this.clock.now() - lastRenew >= this.renewDeadlineMs) {
        this.logger.error(
          { renewDeadlineMs: this.renewDeadlineMs },
          "failed to renew the lease in time; leadership lost",
        );
        return "lost";
      }
      if (this.observedSpec?.holderIdentity !== this.config.identity && this.observedAt >= lastRenew) {
        this.logger.error(
          { holder: this.observedSpec?.holderIdentity },
          "lease taken by another holder; leadership lost",
        );
        return "lost";
      }
    }
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { namespace, name, identity } = this.config;
    const now = this.clock.now();
    const nowTime = microTime(now);
    const durationSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>(LEASE_RESOURCE, namespace, name, signal);
    } catch (err) {
      if (!isNotFound(err)) {
        this.logger.warn({ err: String(err) }, "reading the lease failed");
        return false;
      }
      const spec: LeaseSpec = {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: nowTime,
        renewTime: nowTime,
        leaseTransitions: 0,
      };
      try {
        await this.client.create<Lease>(LEASE_RESOURCE, { metadata: { namespace, name }, spec }, signal);
      } catch (createErr) {
        if (!isAlreadyExists(createErr))
          this.logger.warn({ err: String(createErr) }, "creating the lease failed");
        return false;
      }
      this.observe(spec, now);
      return true;
    }

    const spec = lease.spec ?? {};
    if (!isDeepStrictEqual(spec, this.observedSpec)) this.observe(spec, now);
    const holder = spec.holderIdentity ?? "";
    const expiresAt = this.observedAt + (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder !== "" && holder !== identity && expiresAt > now) {
      this.observedExpiry = expiresAt;
      return false;
    }
    this.observedExpiry = undefined;

    const next: LeaseSpec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: nowTime,
      acquireTime: holder === identity ? spec.acquireTime : nowTime,
      leaseTransitions: holder === identity ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
    };
    try {
      await this.client.replace<Lease>(LEASE_RESOURCE, { ...lease, spec: next }, { signal });
    } catch (err) {
      if (!isConflict(err)) this.logger.warn({ err: String(err) }, "updating the lease failed");
      return false;
    }
    this.observe(next, now);
    return true;
  }

  /** Clears holderIdentity (only if we still hold it) so a standby need not wait for expiry. */
  private async release(): Promise<void> {
    if (this.config.releaseOnCancel === false) return;
    const { namespace, name, identity } = this.config;
    try {
      const lease = await this.client.get<Lease>(
        LEASE_RESOURCE,
        namespace,
        name,
        AbortSignal.timeout(this.renewDeadlineMs),
      );
      if (lease.spec?.holderIdentity !== identity) return;
      const now = microTime(this.clock.now());
      const spec: LeaseSpec = {
        ...lease.spec,
        holderIdentity: "",
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
      };
      await this.client.replace<Lease>(
        LEASE_RESOURCE,
        { ...lease, spec },
        { signal: AbortSignal.timeout(this.renewDeadlineMs) },
      );
      this.logger.info("released the lease");
    } catch (err) {
      this.logger.warn(
        { err: String(err) },
        "releasing the lease failed; standbys take over after it expires",
      );
    }
  }

  private observe(spec: LeaseSpec, now: number): void {
    this.observedSpec = spec;
    this.observedAt = now;
    const holder = spec.holderIdentity ?? "";
    if (holder !== "" && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.logger.info({ leader: holder }, "new leader observed");
      this.callbacks.onNewLeader?.(holder);
    }
  }
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
