/**
 * `npm run bench` lists the benchmarks; `npm run bench -- <name> [flags…]` runs one of them in its
 * own Node process (same Node, with tsx), passing the flags through. Figures go to
 * docs/benchmarks.md by hand, with the command used.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.dirname(fileURLToPath(import.meta.url));
const HELPERS = new Set(["run", "plot-svg"]);
const benchmarks = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && !HELPERS.has(f.slice(0, -3)))
  .map((f) => f.slice(0, -3))
  .sort();

/** The first sentence of the file's leading doc comment. */
function summary(name: string): string {
  const text = readFileSync(path.join(dir, `${name}.ts`), "utf8");
  const doc = /\/\*\*([\s\S]*?)\*\//.exec(text)?.[1] ?? "";
  const prose = doc
    .split("\n")
    .map((l) => l.replace(/^\s*\*\s?/, "").trim())
    .filter((l) => l && !l.startsWith("scripts/"))
    .join(" ");
  return (/^.*?\.(\s|$)/.exec(prose)?.[0] ?? prose).trim();
}

const [name, ...args] = process.argv.slice(2);
if (!name) {
  process.stdout.write("Benchmarks (npm run bench -- <name> [flags]):\n");
  for (const b of benchmarks) process.stdout.write(`  ${b.padEnd(26)} ${summary(b)}\n`);
} else if (!benchmarks.includes(name)) {
  process.stderr.write(`unknown benchmark ${name}; one of: ${benchmarks.join(", ")}\n`);
  process.exitCode = 2;
} else {
  const file = path.join(dir, `${name}.ts`);
  // Memory benchmarks say in their usage line that they need explicit GC.
  const gc = readFileSync(file, "utf8").includes("--expose-gc") ? ["--expose-gc"] : [];
  const run = spawnSync(process.execPath, [...gc, "--import", "tsx", file, ...args], {
    stdio: "inherit",
  });
  process.exitCode = run.status ?? 1;
}
