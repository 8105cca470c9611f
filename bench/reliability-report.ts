// Prints the reliability tier's figures (written by test/reliability/*.test.ts into
// $RELIABILITY_RESULTS_DIR, default /tmp/cd-reliability) as Markdown tables for docs/reliability.md.
// Usage: scripts/with-node --import tsx bench/reliability-report.ts [ci|full]
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const dir = process.env.RELIABILITY_RESULTS_DIR ?? path.join(os.tmpdir(), "cd-reliability");
const profile = process.argv[2] === "full" ? "full" : "ci";

function load(suite: string): Record<string, unknown> | undefined {
  const file = path.join(dir, `${profile}-${suite}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : undefined;
}

function show(value: unknown): string {
  if (value === undefined) return "-";
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return String(value);
  return `\`${JSON.stringify(value)}\``;
}

for (const suite of [
  "fault-campaign",
  "crash-consistency",
  "failover",
  "control-plane",
  "hostile-input",
  "credentials",
]) {
  const figures = load(suite);
  process.stdout.write(`\n### ${suite} (${profile} profile)\n\n`);
  if (!figures) {
    process.stdout.write("no figures recorded\n");
    continue;
  }
  process.stdout.write("| figure | value |\n| --- | --- |\n");
  for (const [key, value] of Object.entries(figures)) {
    if (key === "suite" || key === "profile") continue;
    process.stdout.write(`| ${key} | ${show(value).replace(/\|/g, "\\|")} |\n`);
  }
}

const cases = load("hostile-input-cases") as
  { cases?: Array<{ id: string; category: string; outcome: string; detail: string }> } | undefined;
if (cases?.cases) {
  process.stdout.write(
    `\n### hostile-input corpus (${profile} profile)\n\n| case | category | outcome |\n| --- | --- | --- |\n`,
  );
  for (const c of cases.cases) process.stdout.write(`| ${c.id} | ${c.category} | ${c.outcome} |\n`);
}
