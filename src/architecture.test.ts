// The import graph of src/ as the architecture says it must be (../shared/design/architecture.md,
// src/controllers/README.md): no cycles (type-only imports count: they couple modules as much),
// src/runtime knows nothing of Cloud Digit, generic controller code knows no kind, and production
// code never imports a test double. Imports are read with the TypeScript compiler's own scanner.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = path.dirname(fileURLToPath(import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [full] : [];
  });
}

/** Module (relative to src/) -> the src/ modules it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith("."))
      .map((name) => path.relative(SRC, path.resolve(path.dirname(file), name)))
      .filter((target) => !target.startsWith(".."));
    graph.set(path.relative(SRC, file), [...new Set(targets)]);
  }
  return graph;
}

/** Every cycle, each as the path that closes it (found by depth-first search). */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (node: string): void => {
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (onStack.has(next)) found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!done.has(next)) visit(next);
    }
    stack.pop();
    onStack.delete(node);
    done.add(node);
  };
  for (const node of graph.keys()) if (!done.has(node)) visit(node);
  return found;
}

/** Imports from modules under `from` into modules matching `to`, as "a -> b". */
function importsBetween(graph: Map<string, string[]>, from: string, to: (target: string) => boolean) {
  return [...graph]
    .filter(([module]) => module.startsWith(from))
    .flatMap(([module, targets]) => targets.filter(to).map((t) => `${module} -> ${t}`));
}

const isTestDouble = (module: string): boolean =>
  module.split(path.sep).includes("testing") || /(^|[/-])fake-[^/]*\.ts$/.test(module);

describe("the import graph of src/", () => {
  const graph = importGraph();

  it("is read (sanity: the scanner sees the known edges)", () => {
    expect(graph.get(path.join("controllers", "operator.ts"))).toContain(
      path.join("controllers", "generic", "reconciler.ts"),
    );
  });

  it("has no import cycle", () => {
    expect(cycles(graph).map((c) => c.join(" -> "))).toEqual([]);
  });

  it("keeps src/runtime free of Cloud Digit: it imports only itself and src/shared", () => {
    const outside = (t: string) => !t.startsWith(`runtime${path.sep}`) && !t.startsWith(`shared${path.sep}`);
    expect(importsBetween(graph, `runtime${path.sep}`, outside)).toEqual([]);
  });

  it("keeps generic controller code free of kinds, REST and the provider resolver", () => {
    const specific = (t: string) =>
      ["kinds", "rest", "provider", "kube"].some((d) => t.startsWith(path.join("controllers", d) + path.sep));
    expect(importsBetween(graph, path.join("controllers", "generic") + path.sep, specific)).toEqual([]);
  });

  it("never lets production code import a test double", () => {
    const production = [...graph].filter(([module]) => !isTestDouble(module));
    const leaks = production.flatMap(([module, targets]) =>
      targets.filter(isTestDouble).map((t) => `${module} -> ${t}`),
    );
    expect(leaks).toEqual([]);
  });
});
