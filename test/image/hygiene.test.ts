// What the built image holds, read from its exported filesystem and its config: no shell, no
// package manager, no test doubles, no sandbox, no source maps of dependencies, a size budget,
// the OCI labels. The same scan of the build stage's base (Debian with a shell and npm) must find
// what it looks for, so a scan that finds nothing is not taken for a clean image.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageUnderTest, podman } from "./support.ts";

const root = path.resolve(import.meta.dirname, "../..");
const version = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string })
  .version;
/**
 * 174 MB measured (2026-12-03): node 24 stripped 108 MB, glibc/libstdc++/CA/tzdata 10 MB,
 * production node_modules 55 MB, the compiled operator 1 MB. Raise it only on purpose.
 */
const SIZE_BUDGET_BYTES = 180_000_000;

const dir = mkdtempSync(path.join(os.tmpdir(), "cd-image-hygiene-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every path in the image's filesystem (leading "./" and "/" removed). */
async function filesOf(image: string): Promise<string[]> {
  const id = (await podman(["create", image])).trim();
  try {
    const tar = path.join(dir, `${id}.tar`);
    await podman(["export", "--output", tar, id]);
    const { stdout } = await promisify(execFile)("tar", ["-tf", tar], { maxBuffer: 256 * 1024 * 1024 });
    rmSync(tar);
    return stdout
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.replace(/^\.?\//, "").replace(/\/$/, ""));
  } finally {
    await podman(["rm", id]);
  }
}

const SHELLS = new Set(["sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "csh", "tcsh", "fish", "busybox"]);
const PACKAGE_MANAGERS = new Set(["npm", "npx", "corepack", "yarn", "pnpm", "apt", "apt-get", "dpkg"]);

/** What the image must not hold, by rule. */
function findings(files: string[]): Record<string, string[]> {
  const base = (f: string) => f.slice(f.lastIndexOf("/") + 1);
  return {
    shell: files.filter((f) => SHELLS.has(base(f))),
    packageManager: files.filter(
      (f) => PACKAGE_MANAGERS.has(base(f)) || /(^|\/)node_modules\/(npm|corepack)$/.test(f),
    ),
    // The project's own test doubles and tests (src/**/testing/, fake-*.ts, *.test.ts).
    testDoubles: files.filter(
      (f) => f.startsWith("app/dist/") && /\/testing(\/|$)|\/fake-[^/]*$|\.test\.[cm]?js$/.test(f),
    ),
    sandbox: files.filter((f) => /^app\/(dist\/)?(sandbox|test|bench|scripts)(\/|$)/.test(f)),
    dependencySourceMaps: files.filter((f) => f.includes("node_modules/") && f.endsWith(".map")),
  };
}

let files: string[];
let inspected: {
  Size: number;
  Config: { User: string; Entrypoint: string[]; Labels: Record<string, string>; Env: string[] };
};

beforeAll(async () => {
  files = await filesOf(imageUnderTest().image);
  [inspected] = JSON.parse(await podman(["image", "inspect", imageUnderTest().image])) as [typeof inspected];
});

describe("the image's contents", () => {
  it("has no shell, no package manager, no test doubles, no sandbox and no dependency source maps", () => {
    expect(files).toContain("nodejs/bin/node");
    expect(files).toContain("app/dist/src/main.js");
    expect(findings(files)).toEqual({
      shell: [],
      packageManager: [],
      testDoubles: [],
      sandbox: [],
      dependencySourceMaps: [],
    });
    // /app holds exactly what the Dockerfile copies.
    const app = new Set(files.filter((f) => /^app\/[^/]+$/.test(f)));
    expect([...app].sort()).toEqual(["app/dist", "app/node_modules", "app/package.json"]);
  });

  it("the same scan finds the shell and npm of the build stage's base", async () => {
    const found = findings(await filesOf(imageUnderTest().buildBase));
    expect(found.shell).toEqual(expect.arrayContaining(["usr/bin/sh", "usr/bin/bash"]));
    expect(found.packageManager).toEqual(expect.arrayContaining(["usr/local/bin/npm", "usr/bin/dpkg"]));
  });

  it("cannot start a shell at all", async () => {
    await expect(
      podman([
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "/bin/sh",
        imageUnderTest().image,
        "-c",
        "true",
      ]),
    ).rejects.toThrow();
  });

  it(`stays within the size budget (${SIZE_BUDGET_BYTES / 1e6} MB)`, () => {
    expect(inspected.Size).toBeLessThanOrEqual(SIZE_BUDGET_BYTES);
  });

  it("runs Node 24 as uid 65532 and carries the OCI labels of this build", async () => {
    expect(inspected.Config.User).toBe("65532:65532");
    expect(inspected.Config.Entrypoint).toEqual([
      "/nodejs/bin/node",
      "--enable-source-maps",
      "dist/src/main.js",
    ]);
    expect(inspected.Config.Env).toContain("NODE_ENV=production");
    const nodeVersion = await podman([
      "run",
      "--rm",
      "--network",
      "none",
      "--entrypoint",
      "/nodejs/bin/node",
      imageUnderTest().image,
      "--version",
    ]);
    expect(nodeVersion.trim()).toMatch(/^v24\.\d+\.\d+$/);
    const { stdout: head } = await promisify(execFile)("git", ["rev-parse", "HEAD"], { cwd: root });
    const labels = inspected.Config.Labels;
    expect(labels["org.opencontainers.image.title"]).toBe("clouddigit-operator");
    expect(labels["org.opencontainers.image.version"]).toBe(version);
    // The commit built from (-dirty when the build context had uncommitted changes).
    expect(labels["org.opencontainers.image.revision"]).toMatch(new RegExp(`^${head.trim()}(-dirty)?$`));
    expect(labels["org.opencontainers.image.created"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(labels["org.opencontainers.image.licenses"]).toBe("Apache-2.0");
    expect(labels["org.opencontainers.image.source"]).toMatch(/^https:\/\//);
    expect(labels["org.opencontainers.image.description"]).not.toBe("");
  });
});
