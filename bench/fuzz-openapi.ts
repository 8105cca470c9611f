// Fuzzes the sandbox against sandbox/openapi.yaml with schemathesis (run by bench/fuzz-openapi.sh,
// which provides the venv). Starts the sandbox in this process on 127.0.0.1 (a free port), seeds one
// resource of each kind so {id} paths and body references can name real resources, writes the
// document with the sandbox as its server plus a schemathesis config into a temporary directory,
// runs `st run` bounded in examples and time, and exits with its status.
// Usage: scripts/with-node --import tsx bench/fuzz-openapi.ts --st <path to st> [--max-examples N]
//        [--max-time S] [--seed N] [--report-dir DIR]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import { DOCUMENT_PATH } from "../sandbox/openapi.ts";
import { startSandbox } from "../sandbox/server.ts";
import { ed25519PublicKey } from "../sandbox/testing/fixtures.ts";

const TOKEN = "cd_fuzz";
const PROJECT = "fuzz";

/** Checks that hold the document to the server (and the server to the document). */
export const CHECKS = [
  "not_a_server_error",
  "status_code_conformance",
  "content_type_conformance",
  "response_headers_conformance",
  "response_schema_conformance",
  "positive_data_acceptance",
  "negative_data_rejection",
];

/** schemathesis' defaults plus 422 (see the config below). */
const POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"];
/** schemathesis' defaults plus 431. */
const NEGATIVE_STATUSES = [
  "400",
  "401",
  "403",
  "404",
  "405",
  "406",
  "409",
  "415",
  "422",
  "428",
  "429",
  "431",
  "5xx",
];

const { values } = parseArgs({
  options: {
    st: { type: "string" },
    "max-examples": { type: "string", default: "50" },
    "max-time": { type: "string", default: "300" },
    seed: { type: "string", default: "1" },
    "report-dir": { type: "string" },
  },
});
if (!values.st) throw new Error("--st <path to the schemathesis st binary> is required");

const sandbox = await startSandbox({
  tokens: [{ token: TOKEN, projects: [PROJECT] }],
  rateLimit: false,
  delays: { vpc: 0, subnet: 0, server: 0, volume: 0 },
  // Generous quotas: the fuzzer creates many resources, and a 403 quota answer tests nothing.
  quotas: { vpcs: 100_000, subnets: 100_000, ssh_keys: 100_000, servers: 100_000, volumes: 100_000 },
  inspectPort: false,
  seed: Number(values.seed),
});

async function create(pathname: string, body: unknown): Promise<string> {
  const res = await fetch(`${sandbox.apiUrl}${pathname}`, {
    method: "POST",
    headers: { "x-cd-token": TOKEN, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { id?: string };
  if (!res.ok || !json.id) throw new Error(`seeding ${pathname}: ${res.status} ${JSON.stringify(json)}`);
  return json.id;
}

let exitCode: number;
try {
  const vpc = await create("/network/vpcs", { name: "fuzz", cidr: "10.0.0.0/16" });
  const subnet = await create("/network/subnets", {
    name: "fuzz",
    vpc_id: vpc,
    cidr: "10.0.0.0/16",
    zone: "bd-dha-1a",
  });
  await new Promise((r) => setTimeout(r, 50)); // transitions are immediate, timers still tick
  const sshKey = await create("/compute/ssh-keys", { name: "fuzz", public_key: ed25519PublicKey() });
  const server = await create("/compute/servers", {
    name: "fuzz",
    flavor: "std-1x4",
    image: "debian-12",
    subnet_id: subnet,
  });
  const volume = await create("/storage/volumes", { name: "fuzz", size_gib: 10, zone: "bd-dha-1a" });

  const dir = mkdtempSync(path.join(tmpdir(), "fuzz-openapi-"));
  const document = parse(readFileSync(DOCUMENT_PATH, "utf8")) as Record<string, unknown>;
  document.servers = [{ url: sandbox.apiUrl }];
  const documentPath = path.join(dir, "openapi.yaml");
  writeFileSync(documentPath, stringify(document, { lineWidth: 0 }));

  // Path ids of the seeded resources, so generated requests reach handlers instead of 404.
  const idOf: Record<string, string> = {
    "/network/vpcs": vpc,
    "/network/subnets": subnet,
    "/compute/ssh-keys": sshKey,
    "/compute/servers": server,
    "/storage/volumes": volume,
  };
  const operations = Object.entries(idOf).map(
    ([collection, id]) =>
      `[[operations]]\ninclude-path-regex = "^${collection}/\\\\{id\\\\}"\nparameters = { "path.id" = "${id}" }\n`,
  );
  const configPath = path.join(dir, "schemathesis.toml");
  writeFileSync(
    configPath,
    [
      `headers = { "X-Cd-Token" = "${TOKEN}" }`,
      // The token is scoped to one project; the generated X-Cd-Project header always names it.
      `[parameters]\n"header.X-Cd-Project" = "${PROJECT}"`,
      // A schema-valid request must never be 400: that would mean the document is looser than the
      // server. 422 stays allowed: the document declares it for what no schema can state (a
      // referenced resource that does not exist, catalog names, an SSH key that does not decode,
      // iops per GiB, shrinking, an Idempotency-Key reused with another body, a zone of another
      // region, a subnet outside its VPC).
      `[checks.positive_data_acceptance]\nexpected-statuses = [${POSITIVE_STATUSES.map((s) => `"${s}"`).join(", ")}]`,
      // Oversized query strings are refused before routing with 431, which the document declares.
      `[checks.negative_data_rejection]\nexpected-statuses = [${NEGATIVE_STATUSES.map((s) => `"${s}"`).join(", ")}]`,
      ...operations,
    ].join("\n\n") + "\n",
  );

  const args = [
    "--config-file",
    configPath,
    "run",
    documentPath,
    "--url",
    sandbox.apiUrl,
    "--checks",
    CHECKS.join(","),
    "--max-examples",
    String(values["max-examples"]),
    "--max-time",
    String(values["max-time"]),
    "--seed",
    String(values.seed),
    "--workers",
    "1",
    "--request-timeout",
    "10",
    ...(values["report-dir"] ? ["--report", "ndjson", "--report-dir", values["report-dir"]] : []),
  ];
  console.log(`sandbox at ${sandbox.apiUrl}; st ${args.join(" ")}`);
  exitCode = await new Promise<number>((resolve) => {
    // In the temporary directory: schemathesis keeps a cache (.schemathesis/) in its working directory.
    const child = spawn(values.st as string, args, { stdio: "inherit", cwd: dir });
    child.on("exit", (code) => resolve(code ?? 1));
  });
  const statuses = sandbox.counts().by_status;
  console.log(`sandbox answers by status: ${JSON.stringify(statuses)}`);
} finally {
  await sandbox.close();
}
process.exit(exitCode);
