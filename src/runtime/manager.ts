import { randomBytes } from "node:crypto";
import os from "node:os";
import type { KubeConfig } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { realClock, sleep, type Clock } from "../shared/clock.ts";
import { Backoff } from "./backoff.ts";
import { Controller, type ControllerOptions } from "./controller.ts";
import { EventRecorder } from "./events.ts";
import { HealthServer } from "./health-server.ts";
import { Informer, type InformerOptions } from "./informer.ts";
import { KubeClient } from "./kube-client.ts";
import { LeaderElector, type LeaderElectionConfig, type LeaderElectionEnd } from "./leader-election.ts";
import { silentLogger, type Logger } from "../shared/logging.ts";
import { RuntimeMetrics } from "./metrics.ts";
import { resourceId, type KubeObject, type ResourceType } from "./resource.ts";

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  /** Restrict every informer to these namespaces (namespace-scoped mode); undefined = cluster-wide. */
  namespaces?: string[];
  /** Leader election on a Lease; omit to reconcile unconditionally (single replica, tests). */
  leaderElection?: Omit<LeaderElectionConfig, "identity"> & { identity?: string };
  /** Probes and metrics server; false = none. Defaults to 127.0.0.1:8080. */
  health?: { host?: string; port?: number } | false;
  registry?: Registry;
  logger?: Logger;
  /** How long stop() waits for in-flight reconciles (default 30 s). */
  shutdownTimeoutMs?: number;
  /** Retry delays of a failing prerequisite (default 500 ms doubling to 10 s). */
  prerequisiteBackoffMs?: { initial: number; max: number };
  clock?: Clock;
  userAgent?: string;
}

/**
 * Something the controllers need before they start that may not be available yet: a read that
 * RBAC applied later (an Argo CD sync wave, a Helm hook) will allow. The manager retries it with
 * backoff instead of exiting, so the kubelet does not restart-loop a process that only waits.
 */
export interface Prerequisite {
  /** What it is, for the log and the readiness reason ("the installation ID"). */
  name: string;
  /** One attempt; throws to be retried. Its error message says what to grant or set. */
  attempt(signal: AbortSignal): Promise<void>;
}

export type AddControllerOptions = Omit<ControllerOptions, "registry" | "logger" | "clock">;

/** Thrown by run() (and passed to onFatal) when leadership is lost: the process should exit and restart. */
export class LeadershipLostError extends Error {
  constructor() {
    super("leader election lost");
    this.name = "LeadershipLostError";
  }
}

/**
 * Owns the shared informers, the controllers, leader election and the probe/metrics server.
 * Informers run on every replica (a standby keeps a warm cache); controllers start only on the
 * leader, after the caches they read have synced.
 */
export class Manager {
  readonly client: KubeClient;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly identity: string;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly controllers: Controller[] = [];
  private readonly prerequisites: Array<Prerequisite & { met: boolean; lastError?: string }> = [];
  private prerequisitesMet: Promise<void> = Promise.resolve();
  private readonly stopAbort = new AbortController();
  private readonly clock: Clock;
  private readonly health: HealthServer | undefined;
  private elector: LeaderElector | undefined;
  private electionAbort = new AbortController();
  private electionDone: Promise<LeaderElectionEnd> | undefined;
  private started = false;
  private stopping: Promise<void> | undefined;
  private controllersStarted = false;
  private leadershipLost = false;
  private readonly finished: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void };

  constructor(private readonly opts: ManagerOptions) {
    this.client = new KubeClient(opts.kubeConfig, { userAgent: opts.userAgent });
    this.registry = opts.registry ?? new Registry();
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? realClock;
    this.identity = opts.leaderElection?.identity ?? `${os.hostname()}_${randomBytes(4).toString("hex")}`;
    RuntimeMetrics.for(this.registry);
    if (opts.health !== false) {
      this.health = new HealthServer({
        host: opts.health?.host,
        port: opts.health?.port,
        registry: this.registry,
        healthy: () => this.started && !this.stopping,
        ready: () => this.readiness(),
      });
    }
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined);
    this.finished = { promise, resolve, reject };
  }

  /**
   * The shared informer for a resource type (one per type and selector). Indexers given here are
   * added to it; the manager's namespaces apply unless opts.namespaces overrides them.
   */
  informer<T extends KubeObject = KubeObject>(
    resource: ResourceType,
    opts: InformerOptions<T> = {},
  ): Informer<T> {
    const namespaces = opts.namespaces ?? this.opts.namespaces;
    const id = [
      resourceId(resource),
      opts.labelSelector ?? "",
      opts.fieldSelector ?? "",
      (namespaces ?? []).join(","),
    ].join("|");
    let informer = this.informers.get(id) as Informer<T> | undefined;
    if (!informer) {
      const { indexers: _indexers, ...rest } = opts;
      informer = new Informer<T>(this.client, resource, {
        ...rest,
        namespaces,
        logger: this.logger,
        clock: this.clock,
      });
      this.informers.set(id, informer as unknown as Informer<KubeObject>);
      if (this.started) informer.start();
    }
    for (const [name, fn] of Object.entries(opts.indexers ?? {})) {
      try {
        informer.addIndexer(name, fn);
      } catch {
        // the same index asked for twice (by two controllers) is fine
      }
    }
    return informer;
  }

  /** Registers a prerequisite (before start()): controllers start once every one succeeded. */
  require(prerequisite: Prerequisite): void {
    if (this.started) throw new Error(`prerequisite ${prerequisite.name} registered after start()`);
    this.prerequisites.push({ ...prerequisite, met: false });
  }

  /** Creates a controller wired to the manager's metrics, logger and clock. Add sources with .for()/.watches(). */
  addController(opts: AddControllerOptions): Controller {
    const controller = new Controller({
      ...opts,
      registry: this.registry,
      logger: this.logger,
      clock: this.clock,
    });
    this.controllers.push(controller);
    if (this.controllersStarted) void this.startController(controller);
    return controller;
  }

  /** An events.k8s.io/v1 recorder reporting as `controllerName` from this replica (identity). */
  eventRecorder(controllerName: string): EventRecorder {
    return new EventRecorder({
      client: this.client,
      reportingController: controllerName,
      reportingInstance: this.identity,
      clock: this.clock,
      logger: this.logger,
    });
  }

  isLeader(): boolean {
    return this.opts.leaderElection ? (this.elector?.isLeader() ?? false) : this.started;
  }

  healthAddress(): { host: string; port: number } | undefined {
    return this.health?.address();
  }

  /** Starts informers, the health server and (if configured) the leader election campaign. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.health?.start();
    this.prerequisitesMet = Promise.all(this.prerequisites.map((p) => this.satisfy(p))).then(() => undefined);
    this.prerequisitesMet.catch(() => undefined);
    for (const inf of this.informers.values()) inf.start();
    const le = this.opts.leaderElection;
    if (!le) {
      this.controllersStarted = true;
      for (const c of this.controllers) void this.startController(c);
      return;
    }
    const metrics = RuntimeMetrics.for(this.registry);
    metrics.leaderElection.set({ name: le.name }, 0);
    this.elector = new LeaderElector(
      this.client,
      { ...le, identity: this.identity },
      {
        onStartedLeading: () => {
          metrics.leaderElection.set({ name: le.name }, 1);
          this.controllersStarted = true;
          for (const c of this.controllers) void this.startController(c);
        },
        onStoppedLeading: () => metrics.leaderElection.set({ name: le.name }, 0),
      },
      this.clock,
      this.logger,
    );
    this.electionDone = this.elector.run(this.electionAbort.signal);
    void this.electionDone.then((end) => {
      if (end === "lost") {
        this.logger.error("leadership lost; stopping");
        // stop() settles `finished`; it must reject (not resolve) so run() reports the loss.
        this.leadershipLost = true;
        void this.stop();
      }
    });
  }

  /**
   * start(), then wait until stopped. With handleSignals (default true), SIGTERM/SIGINT stop
   * gracefully; a second signal exits at once. Rejects with LeadershipLostError on lost leadership.
   */
  async run(opts: { handleSignals?: boolean } = {}): Promise<void> {
    if (opts.handleSignals ?? true) {
      let signalled = false;
      const onSignal = (sig: NodeJS.Signals): void => {
        if (signalled) {
          this.logger.warn({ signal: sig }, "second signal; exiting now");
          process.exit(1);
        }
        signalled = true;
        this.logger.info({ signal: sig }, "shutting down");
        void this.stop();
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
      void this.finished.promise
        .catch(() => undefined)
        .finally(() => {
          process.off("SIGTERM", onSignal);
          process.off("SIGINT", onSignal);
        });
    }
    await this.start();
    await this.finished.promise;
  }

  /**
   * Graceful stop: controllers finish in-flight reconciles (up to shutdownTimeoutMs) while the
   * lease is still held, then the lease is released, informers and the server stop. After lost
   * leadership the reconciles' signals are aborted at once instead.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopAbort.abort();
      // After a lost election another replica may already be reconciling the same objects:
      // abort in-flight reconciles at once (their ctx.signal) instead of letting them finish.
      const deadline = this.leadershipLost ? 0 : (this.opts.shutdownTimeoutMs ?? 30_000);
      const results = await Promise.all(this.controllers.map((c) => c.stop(deadline)));
      if (results.some((ok) => !ok))
        this.logger.warn("some reconciles were still running at the shutdown deadline");
      this.electionAbort.abort();
      await this.electionDone;
      await Promise.all([...this.informers.values()].map((i) => i.stop()));
      await this.health?.stop();
      this.logger.info("manager stopped");
      if (this.leadershipLost) this.finished.reject(new LeadershipLostError());
      else this.finished.resolve();
    })();
    return this.stopping;
  }

  /** Attempts a prerequisite until it succeeds or the manager stops (which rejects). */
  private async satisfy(p: Prerequisite & { met: boolean; lastError?: string }): Promise<void> {
    const backoff = new Backoff(
      this.opts.prerequisiteBackoffMs?.initial ?? 500,
      this.opts.prerequisiteBackoffMs?.max ?? 10_000,
      0.2,
    );
    const signal = this.stopAbort.signal;
    for (;;) {
      signal.throwIfAborted();
      try {
        await p.attempt(signal);
        p.met = true;
        delete p.lastError;
        if (backoff.attempts > 0) this.logger.info({ prerequisite: p.name }, "prerequisite met; starting");
        return;
      } catch (err) {
        signal.throwIfAborted();
        p.lastError = err instanceof Error ? err.message : String(err);
        const delay = backoff.next();
        this.logger.warn(
          {
            prerequisite: p.name,
            err: p.lastError,
            retryInMs: Math.round(delay),
            attempts: backoff.attempts,
          },
          `waiting for ${p.name}; retrying`,
        );
        await sleep(this.clock, delay, signal);
      }
    }
  }

  private async startController(controller: Controller): Promise<void> {
    try {
      await this.prerequisitesMet;
      await Promise.all(controller.watchedInformers().map((i) => i.waitForSync(this.electionAbort.signal)));
    } catch {
      return; // stopped before the caches synced
    }
    if (this.stopping) return;
    controller.start();
  }

  private readiness(): { ready: boolean; reason?: string } {
    if (!this.started || this.stopping) return { ready: false, reason: "not running" };
    const waiting = this.prerequisites.find((p) => !p.met);
    if (waiting)
      return {
        ready: false,
        reason: `waiting for ${waiting.name}${waiting.lastError ? `: ${waiting.lastError}` : ""}`,
      };
    const unsynced = [...this.informers.values()]
      .filter((i) => !i.hasSynced())
      .map((i) => resourceId(i.resource));
    if (unsynced.length > 0) return { ready: false, reason: `caches not synced: ${unsynced.join(", ")}` };
    return { ready: true };
  }
}
