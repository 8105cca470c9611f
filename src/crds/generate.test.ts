import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CRD_DIR, HEADER, compareWithDisk, hasDrift, renderCrdFiles, writeCrdFiles } from "./generate.ts";
import { allKinds } from "./index.ts";

describe("config/crd", () => {
  it("is exactly what the generator writes (run `npm run generate` after changing src/crds)", () => {
    const drift = compareWithDisk();
    expect(drift).toEqual({ missing: [], changed: [], extra: [] });
  });

  it("has one CRD per kind plus a kustomization listing them all", () => {
    const files = renderCrdFiles();
    expect(files.size).toBe(allKinds.length + 1);
    const kustomization = parse(files.get("kustomization.yaml") ?? "") as { resources: string[] };
    expect(kustomization.resources).toHaveLength(allKinds.length);
    for (const file of kustomization.resources) expect(files.has(file)).toBe(true);
    for (const content of files.values()) expect(content.startsWith(HEADER)).toBe(true);
  });

  it("renders the same bytes twice (deterministic)", () => {
    const a = renderCrdFiles();
    const b = renderCrdFiles();
    expect([...a.entries()]).toEqual([...b.entries()]);
  });
});

describe("the drift check", () => {
  it("reports changed, missing and extra files, and nothing once regenerated", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "crd-drift-"));
    try {
      expect(compareWithDisk(dir).missing).toHaveLength(allKinds.length + 1);
      writeCrdFiles(dir);
      expect(hasDrift(compareWithDisk(dir))).toBe(false);

      const vpcFile = path.join(dir, "clouddigit.ai_vpcs.yaml");
      const lines = readFileSync(vpcFile, "utf8").split("\n");
      lines[5] = "  name: edited-by-hand";
      writeFileSync(vpcFile, lines.join("\n"));
      rmSync(path.join(dir, "clouddigit.ai_vms.yaml"));
      writeFileSync(path.join(dir, "stale.yaml"), "kind: Nothing\n");

      const drift = compareWithDisk(dir);
      expect(drift.changed).toEqual([{ file: "clouddigit.ai_vpcs.yaml", firstDifferentLine: 6 }]);
      expect(drift.missing).toEqual(["clouddigit.ai_vms.yaml"]);
      expect(drift.extra).toEqual(["stale.yaml"]);

      writeCrdFiles(dir);
      expect(hasDrift(compareWithDisk(dir))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("points at the repository's config/crd", () => {
    expect(CRD_DIR.endsWith(path.join("config", "crd"))).toBe(true);
  });
});
