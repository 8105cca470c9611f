// The operator binary: parse flags and environment (flags win), build the manager and the
// controllers, run until SIGTERM. `npm start -- --help` lists the options.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { collectDefaultMetrics } from "prom-client";
import { z } from "zod";
import { ClientFactory } from "./client/factory.ts";
import { closeAllPools } from "./client/transport.ts";
import { parseDuration } from "./shared/duration.ts";
import { registerOperator } from "./controllers/operator.ts";
import type { ReconcilerTiming } from "./controllers/generic/reconciler.ts";
import { CLIENT_REDACT_PATHS } from "./client/logging.ts";
import { createLogger, type Logger, type LoggerSetup } from "./shared/logging.ts";
import { LeadershipLostError, Manager } from "./runtime/manager.ts";
import { useRotatingTokenFile } from "./runtime/token-file.ts";
import { INSTALLATION_ID_PATTERN, resolveInstallationID } from "./controllers/kube/installation.ts";

const duration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, "a duration such as 30s, 10m or 1h")
  .transform((s) => parseDuration(s) ?? 0);

const address = z
  .string()
  .regex(/^[^:]*:\d{1,5}$/, "host:port, e.g. 127.0.0.1:8080 or :8080")
  .transform((s) => {
    const i = s.lastIndexOf(":");
    return { host: s.slice(0, i) || "0.0.0.0", port: Number(s.slice(i + 1)) };
  });

const boolean = z.union([
  z.boolean(),
  z.enum(["true", "false", "1", "0"]).transform((s) => s === "true" || s === "1"),
]);

export const configSchema = z.object({
  kubeconfig: z.string().optional(),
  namespaces: z
    .string()
    .optional()
    .transform((s) =>
      s
        ? s
            .split(",")
            .map((n) => n.trim())
            .filter((n) => n !== "")
        : undefined,
    ),
  leaderElect: boolean.default(false),
  leaderElectionNamespace: z.string().default("clouddigit-system"),
  leaderElectionId: z.string().default("clouddigit-operator"),
  healthAddress: address.default({ host: "127.0.0.1", port: 8080 }),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  concurrency: z.coerce.number().int().min(1).max(64).default(4),
  resync: duration.default(10 * 60_000),
  pollInterval: duration.default(1_000),
  staleAfterResyncs: z.coerce.number().int().min(0).max(100).default(3),
  endpointDomain: z
    .string()
    .regex(/^[a-z0-9.-]+$/)
    .default("clouddigit.ai"),
  installationID: z
    .string()
    .regex(INSTALLATION_ID_PATTERN, "1-63 letters, digits, '.', '_' or '-', starting with a letter or digit")
    .optional(),
});
export type OperatorConfig = z.infer<typeof configSchema>;

const FLAGS = {
  kubeconfig: { env: "KUBECONFIG", help: "kubeconfig file; empty: in-cluster, else ~/.kube/config" },
  namespaces: { env: "WATCH_NAMESPACES", help: "comma-separated namespaces to watch; empty: all" },
  "leader-elect": {
    env: "LEADER_ELECT",
    help: "campaign for a Lease before reconciling (HA)",
    boolean: true,
  },
  "leader-election-namespace": { env: "POD_NAMESPACE", help: "namespace of the Lease" },
  "leader-election-id": { env: "LEADER_ELECTION_ID", help: "name of the Lease" },
  "health-address": {
    env: "HEALTH_ADDRESS",
    help: "probes and /metrics, host:port (default 127.0.0.1:8080)",
  },
  "log-level": { env: "LOG_LEVEL", help: "trace|debug|info|warn|error" },
  concurrency: { env: "CONCURRENCY", help: "parallel reconciles per kind (default 4)" },
  resync: { env: "RESYNC_PERIOD", help: "default drift resync (default 10m, jittered)" },
  "poll-interval": {
    env: "POLL_INTERVAL",
    help: "how often to look while the cloud works (default 1s; one list per kind and credential)",
  },
  "stale-after-resyncs": {
    env: "STALE_AFTER_RESYNCS",
    help: "failing resync periods after which Ready turns Unknown (default 3; 0: never)",
  },
  "endpoint-domain": {
    env: "CLOUDDIGIT_ENDPOINT_DOMAIN",
    help: "domain of default endpoints (clouddigit.ai or mymine.space)",
  },
  "installation-id": {
    env: "CLOUDDIGIT_INSTALLATION_ID",
    help: "stable ID of this installation in ownership tags (default: from the kube-system namespace UID)",
    key: "installationID",
  },
} as const;

/** The config field a flag sets: its camelCase, unless it names one (installationID). */
function configKey(flag: string): string {
  const f = FLAGS[flag as keyof typeof FLAGS] as { key?: string } | undefined;
  return f?.key ?? flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: "boolean" },
      ...Object.fromEntries(
        Object.entries(FLAGS).map(([flag, f]) => [
          flag,
          { type: "boolean" in f ? ("boolean" as const) : ("string" as const) },
        ]),
      ),
    },
    strict: true,
  });
  if (values.help) return "help";
  const raw: Record<string, unknown> = {};
  for (const [flag, f] of Object.entries(FLAGS)) {
    const value = (values as Record<string, unknown>)[flag] ?? (env[f.env] === "" ? undefined : env[f.env]);
    if (value !== undefined) raw[configKey(flag)] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const flag = (key: string) => Object.keys(FLAGS).find((f) => configKey(f) === key) ?? key;
    const problems = parsed.error.issues.map((i) => `--${flag(i.path.join("."))}: ${i.message}`).join("; ");
    throw new Error(`invalid configuration: ${problems}`);
  }
  return parsed.data;
}

function kubeConfigFor(config: OperatorConfig): KubeConfig {
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else if (process.env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
    // The kubelet rotates the projected token; use the new one at once, not up to 60 s later.
    useRotatingTokenFile(kc);
  } else kc.loadFromDefault();
  return kc;
}

/**
 * The operator's logger: the shared redaction list plus the client's, since the client logs
 * through a child of it. Exported so a test can check what this very logger censors.
 */
export function createOperatorLogger(
  level: OperatorConfig["logLevel"],
  destination?: LoggerSetup["destination"],
): Logger {
  return createLogger({
    level,
    base: { app: "clouddigit-operator" },
    redact: CLIENT_REDACT_PATHS,
    destination,
  });
}

/** Builds and starts the operator; resolves with a stop function. Used by main and by tests. */
export async function startOperator(
  config: OperatorConfig,
  kubeConfig = kubeConfigFor(config),
  /** Timings beyond the flags (tests shorten the slow retry of stalled objects). */
  timing: Partial<ReconcilerTiming> = {},
  /** Where log lines go; stdout when absent (a test passes a stream to read them back). */
  logDestination?: LoggerSetup["destination"],
) {
  const logger = createOperatorLogger(config.logLevel, logDestination);
  const manager = new Manager({
    kubeConfig,
    ...(config.namespaces ? { namespaces: config.namespaces } : {}),
    ...(config.leaderElect
      ? { leaderElection: { namespace: config.leaderElectionNamespace, name: config.leaderElectionId } }
      : {}),
    health: config.healthAddress,
    logger,
    userAgent: "clouddigit-operator",
  });
  // process_resident_memory_bytes, nodejs_heap_size_used_bytes, event-loop lag, GC: what a memory
  // limit or a slow operator is judged by.
  collectDefaultMetrics({ register: manager.registry });
  const factory = new ClientFactory({
    registry: manager.registry,
    logger: logger.child({ component: "client" }),
  });
  // Read before any controller starts, retried while RBAC does not allow it yet (the readiness
  // probe says what is missing); every reconcile reads it afterwards.
  let installation: string | undefined = config.installationID;
  manager.require({
    name: "the installation ID",
    async attempt(signal) {
      installation = await resolveInstallationID(manager.client, config.installationID, signal);
      logger.info({ installation }, "installation ID resolved");
    },
  });
  const operator = registerOperator({
    manager,
    installation: () => {
      if (installation === undefined) throw new Error("the installation ID is not resolved yet");
      return installation;
    },
    factory,
    concurrency: config.concurrency,
    timing: {
      resyncMs: config.resync,
      pollMs: config.pollInterval,
      staleAfterResyncs: config.staleAfterResyncs,
      ...timing,
    },
    endpointDomain: config.endpointDomain,
  });
  await manager.start();
  logger.info(
    { namespaces: config.namespaces ?? "all", leaderElect: config.leaderElect },
    "operator started",
  );
  return {
    manager,
    operator,
    async stop() {
      await manager.stop();
      await operator.events.flush();
      operator.resolver.close();
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig(process.argv.slice(2), process.env);
  if (config === "help") {
    const lines = Object.entries(FLAGS).map(([flag, f]) => `  --${flag.padEnd(28)} ${f.help} [env ${f.env}]`);
    process.stdout.write(`clouddigit-operator\n\nOptions:\n${lines.join("\n")}\n`);
    return;
  }
  const { manager } = await startOperator(config);
  try {
    await manager.run();
  } catch (err) {
    if (err instanceof LeadershipLostError) process.exitCode = 1;
    else throw err;
  } finally {
    await closeAllPools();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
