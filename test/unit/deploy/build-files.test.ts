// What the build compiles (and so what dist/, and the image's dist/src, can hold): the program of
// tsconfig.build.json as `tsc -p tsconfig.build.json --listFilesOnly` lists it. That list follows
// imports, so besides checking the excludes it catches production code importing a test double,
// which tsc would compile and ship whatever the excludes say.
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../../scripts/deploy/generate.ts";

/** Test doubles and dev-only code: nothing of this may be compiled into the build. */
function isDevOnly(relative: string): boolean {
  const parts = relative.split("/");
  return (
    relative.endsWith(".test.ts") ||
    parts.includes("testing") ||
    (parts.at(-1) ?? "").startsWith("fake-") ||
    ["test", "bench", "scripts"].includes(parts[0] ?? "")
  );
}

function buildProgram(): ts.Program {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, "tsconfig.build.json"), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  });
  if (!parsed) throw new Error("tsconfig.build.json did not parse");
  return ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
}

/** The project's own files in the program (not node_modules), relative to the repository. */
function ownFiles(program: ts.Program): string[] {
  return program
    .getSourceFiles()
    .map((f) => path.relative(ROOT, f.fileName).split(path.sep).join("/"))
    .filter((f) => !f.startsWith("..") && !f.includes("node_modules/"));
}

/** The files of `program` whose relative imports name `target`, to say who pulled it in. */
function importersOf(program: ts.Program, target: string): string[] {
  return program
    .getSourceFiles()
    .filter((f) =>
      ts
        .preProcessFile(f.text, true)
        .importedFiles.some(
          (i) => path.resolve(path.dirname(f.fileName), i.fileName) === path.join(ROOT, target),
        ),
    )
    .map((f) => path.relative(ROOT, f.fileName));
}

describe("the build (tsconfig.build.json)", () => {
  const program = buildProgram();
  const files = ownFiles(program);

  it("compiles the operator", () => {
    expect(files).toContain("src/main.ts");
    expect(files).toContain("src/shared/clock.ts");
  });

  it("compiles no test double, test or dev-only file, neither by its globs nor through an import", () => {
    const devOnly = files.filter(isDevOnly).map((f) => {
      const importers = importersOf(program, f);
      return `${f} (${importers.length > 0 ? `imported by ${importers.join(", ")}` : "matched by the include globs"})`;
    });
    expect(devOnly).toEqual([]);
  });

  it("the check knows a test double when it sees one", () => {
    expect(isDevOnly("src/shared/testing/fake-clock.ts")).toBe(true);
    expect(isDevOnly("src/controllers/testing/harness.ts")).toBe(true);
    expect(isDevOnly("src/client/fake-clock.ts")).toBe(true);
    expect(isDevOnly("src/main.test.ts")).toBe(true);
    expect(isDevOnly("test/support/process.ts")).toBe(true);
    expect(isDevOnly("src/shared/clock.ts")).toBe(false);
  });
});
