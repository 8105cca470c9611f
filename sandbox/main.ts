/**
 * CLI: `npm run sandbox -- --port 8780 --token cd_dev:demo --state-file .playground/sandbox.json`
 * Prints its endpoints (and one machine-readable `SANDBOX_READY {...}` line), then serves until
 * SIGINT/SIGTERM, flushing the state file on the way out.
 */
import { parseArgs } from "node:util";
import type { ApiTokenOptions, FaultRule, Quotas, SandboxOptions } from "./server.ts";
import { startSandbox } from "./server.ts";

const USAGE = `Usage: npm run sandbox -- [options]
  --port N               API port on 127.0.0.1 (default 8780; 0 = any free port)
  --inspect-port N       inspection port (default: API port + 1, or any free port when --port 0)
  --token cd_X[:p1,p2]   accept this API token for these projects (repeatable; default projects: --project)
  --project NAME         default project for tokens without one (default "demo")
  --region NAME          bd-dha-1 (default), bd-ctg-1 or bd-syl-1
  --oidc-issuer URL      accept bearer JWTs from this issuer (e.g. a Keycloak realm URL)
  --oidc-jwks-url URL    its JWKS (default <issuer>/protocol/openid-connect/certs)
  --oidc-audience AUD    accepted audience (repeatable; also matched against azp)
  --oidc-project-claim C claim that lists the caller's projects (default: any project)
  --no-rate-limit        disable per-token rate limiting
  --burst N --rate N     rate limit (default 60 burst, 30 req/s)
  --delay-ms N           delay of every async transition (default per kind 50-200 ms)
  --delay KIND=MS        per kind: vpc, subnet, server, volume (repeatable)
  --quota KIND=N         vpcs, subnets, ssh_keys, servers, volumes (repeatable)
  --budget-exceeded      start with the budget hard-stop on
  --public-ips N         size of the region's public IP pool (default 131070)
  --fault JSON           a fault rule, e.g. '{"kind":"unavailable","rate":0.05}' (repeatable)
  --seed N               seed for random faults
  --state-file PATH      persist state to this file
  --verbose              log every call
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function keyValue(text: string, what: string): [string, number] {
  const [key, value] = text.split("=");
  if (!key || value === undefined || !/^\d+$/.test(value))
    fail(`--${what} expects KEY=NUMBER, got '${text}'`);
  return [key, Number(value)];
}

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8780" },
    "inspect-port": { type: "string" },
    token: { type: "string", multiple: true },
    project: { type: "string", default: "demo" },
    region: { type: "string" },
    "oidc-issuer": { type: "string" },
    "oidc-jwks-url": { type: "string" },
    "oidc-audience": { type: "string", multiple: true },
    "oidc-project-claim": { type: "string" },
    "no-rate-limit": { type: "boolean", default: false },
    burst: { type: "string" },
    rate: { type: "string" },
    "delay-ms": { type: "string" },
    delay: { type: "string", multiple: true },
    quota: { type: "string", multiple: true },
    "budget-exceeded": { type: "boolean", default: false },
    "public-ips": { type: "string" },
    fault: { type: "string", multiple: true },
    seed: { type: "string" },
    "state-file": { type: "string" },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
  strict: true,
});

if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail("--port must be a port number");
const inspectPort =
  values["inspect-port"] !== undefined ? Number(values["inspect-port"]) : port === 0 ? 0 : port + 1;

const tokens: ApiTokenOptions[] = (values.token ?? []).map((spec, i) => {
  const colon = spec.indexOf(":");
  const token = colon < 0 ? spec : spec.slice(0, colon);
  if (!/^cd_[A-Za-z0-9_-]{1,200}$/.test(token))
    fail("tokens look like cd_ followed by letters, digits, _ or -");
  const projects =
    colon < 0
      ? [values.project]
      : spec
          .slice(colon + 1)
          .split(",")
          .filter(Boolean);
  return { token, projects, name: `cli-token-${i + 1}` };
});

const options: SandboxOptions = { port, inspectPort, tokens };
if (values.region) options.region = values.region;
if (values["oidc-issuer"]) {
  options.oidc = { issuer: values["oidc-issuer"], audience: values["oidc-audience"] ?? ["clouddigit-api"] };
  if (values["oidc-jwks-url"]) options.oidc.jwksUrl = values["oidc-jwks-url"];
  if (values["oidc-project-claim"]) options.oidc.projectClaim = values["oidc-project-claim"];
}
if (values["no-rate-limit"]) options.rateLimit = false;
else {
  options.rateLimit = {};
  if (values.burst) options.rateLimit.burst = Number(values.burst);
  if (values.rate) options.rateLimit.perSecond = Number(values.rate);
}
const delays: NonNullable<SandboxOptions["delays"]> = {};
if (values["delay-ms"]) {
  const ms = Number(values["delay-ms"]);
  for (const kind of ["vpc", "subnet", "server", "volume"] as const) delays[kind] = ms;
}
for (const spec of values.delay ?? []) {
  const [kind, ms] = keyValue(spec, "delay");
  if (!["vpc", "subnet", "server", "volume"].includes(kind)) fail(`unknown kind in --delay ${spec}`);
  delays[kind as "vpc"] = ms;
}
options.delays = delays;
const quotas: Partial<Quotas> = {};
for (const spec of values.quota ?? []) {
  const [kind, n] = keyValue(spec, "quota");
  if (!["vpcs", "subnets", "ssh_keys", "servers", "volumes"].includes(kind))
    fail(`unknown quota in --quota ${spec}`);
  quotas[kind as keyof Quotas] = n;
}
options.quotas = quotas;
if (values["budget-exceeded"]) options.budgetExceeded = true;
if (values["public-ips"] !== undefined) {
  if (!/^\d+$/.test(values["public-ips"]))
    fail(`--public-ips expects a number, got '${values["public-ips"]}'`);
  options.publicIps = Number(values["public-ips"]);
}
options.faults = (values.fault ?? []).map((text) => {
  try {
    return JSON.parse(text) as FaultRule;
  } catch {
    return fail(`--fault expects JSON, got '${text}'`);
  }
});
if (values.seed) options.seed = Number(values.seed);
if (values["state-file"]) options.persistPath = values["state-file"];
if (values.verbose) {
  options.onCall = (c) =>
    process.stdout.write(
      `${new Date(c.at).toISOString()} ${c.status} ${c.method} ${c.path} ${c.token ?? "-"} ${c.duration_ms}ms\n`,
    );
}

const sandbox = await startSandbox(options);
const lines = [
  "Cloud Digit sandbox (REST v1) is running",
  `  API:         ${sandbox.apiUrl}`,
  `  Inspection:  ${sandbox.inspectUrl ?? "(disabled)"}`,
  `  Region:      ${options.region ?? "bd-dha-1"}`,
  `  Tokens:      ${tokens.map((t) => `${t.name} -> ${[t.projects].flat().join(",")}`).join("; ") || "(none)"}`,
  `  OIDC:        ${options.oidc ? options.oidc.issuer : "(off)"}`,
  `  Rate limit:  ${options.rateLimit === false ? "off" : "on"}`,
  `  State file:  ${options.persistPath ?? "(memory only)"}`,
];
process.stdout.write(`${lines.join("\n")}\n`);
process.stdout.write(
  `SANDBOX_READY ${JSON.stringify({ url: sandbox.url, apiUrl: sandbox.apiUrl, inspectUrl: sandbox.inspectUrl })}\n`,
);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void sandbox.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
