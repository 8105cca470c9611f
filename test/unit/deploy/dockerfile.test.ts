// What the image must be, checked on the Dockerfile and .dockerignore themselves (test/image checks
// the image scripts/image builds from them; scripts/lint-dockerfile runs hadolint).
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../../scripts/deploy/generate.ts";

const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
const instructions = dockerfile
  .replace(/\\\n\s*/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l !== "" && !l.startsWith("#"));
const stages = instructions.filter((l) => l.startsWith("FROM "));
const finalStage = instructions.slice(instructions.lastIndexOf(stages.at(-1) ?? ""));

describe("Dockerfile", () => {
  it("is multi-stage on Node 24, with a distroless non-root final stage", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(instructions).toContain("ARG NODE_BUILD_IMAGE=node:24-bookworm-slim");
    expect(instructions).toContain("ARG RUNTIME_IMAGE=gcr.io/distroless/nodejs24-debian12:nonroot");
    expect(stages.at(-1)).toBe("FROM ${RUNTIME_IMAGE}");
    expect(finalStage).toContain("USER 65532:65532");
  });

  it("ships production dependencies and compiled src only (no sandbox, tests or dev tools)", () => {
    const copies = finalStage.filter((l) => l.startsWith("COPY"));
    expect(copies).toEqual([
      "COPY --from=deps /src/package.json ./package.json",
      "COPY --from=deps /src/node_modules ./node_modules",
      "COPY --from=build /src/dist/src ./dist/src",
    ]);
    expect(instructions.some((l) => l.startsWith("RUN npm ci --omit=dev"))).toBe(true);
    expect(dockerfile).not.toMatch(/COPY[^\n]*\b(sandbox|test|bench)\b/);
  });

  it("runs the operator as PID 1 in exec form, with OCI labels", () => {
    expect(finalStage).toContain(
      'ENTRYPOINT ["/nodejs/bin/node", "--enable-source-maps", "dist/src/main.js"]',
    );
    for (const label of ["title", "description", "licenses", "source", "version", "revision", "created"]) {
      expect(dockerfile).toContain(`org.opencontainers.image.${label}=`);
    }
  });

  it(".dockerignore lets through only what the build copies", () => {
    const rules = readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    expect(rules[0]).toBe("*");
    const allowed = rules.filter((r) => r.startsWith("!")).map((r) => r.slice(1).replace(/\/$/, ""));
    const copied = instructions
      .filter((l) => l.startsWith("COPY ") && !l.includes("--from="))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect([...new Set(copied)].sort()).toEqual([...allowed].sort());
    // The test doubles tsconfig.build.json excludes stay out of the build context too.
    for (const excluded of ["src/**/*.test.ts", "src/**/testing/", "src/**/fake-*.ts"])
      expect(rules).toContain(excluded);
  });
});
