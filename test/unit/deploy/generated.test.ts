// The deployment files derived from one source each (RBAC, CRD templates, Argo CD config, the
// dashboard) are exactly what scripts/deploy/generate.ts writes, and the RBAC source itself obeys
// the least-privilege rules the chart promises.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { GRANTS, rulesFor, type PolicyRule } from "../../../scripts/deploy/rbac.ts";
import { driftFromDisk, renderDeployFiles, ROOT } from "../../../scripts/deploy/generate.ts";
import { MANAGED_KINDS } from "../../../src/controllers/kinds/index.ts";

describe("generated deployment files", () => {
  it("match the generator (run scripts/with-node --import tsx scripts/deploy/generate.ts after changing a source)", () => {
    expect(driftFromDisk()).toEqual([]);
  });

  it("the kustomize ClusterRole and the chart's rule templates hold the same rules", () => {
    const role = parse(readFileSync(path.join(ROOT, "config/rbac/role.yaml"), "utf8")) as {
      rules: PolicyRule[];
    };
    const tpl = readFileSync(path.join(ROOT, "charts/clouddigit-operator/templates/_rbac-rules.tpl"), "utf8");
    const defined = (name: string): PolicyRule[] => {
      const m = new RegExp(
        `define "clouddigit-operator\\.rules\\.${name}" -}}\\n([\\s\\S]*?){{- end }}`,
      ).exec(tpl);
      if (!m) throw new Error(`no rules template ${name}`);
      return parse(m[1] ?? "") as PolicyRule[];
    };
    expect([
      ...defined("watched"),
      ...defined("credentials"),
      ...defined("outputSecrets"),
      ...defined("cluster"),
    ]).toEqual(role.rules);
    const leader = parse(readFileSync(path.join(ROOT, "config/rbac/leader_election_role.yaml"), "utf8")) as {
      rules: PolicyRule[];
    };
    expect(defined("leaderElection")).toEqual(leader.rules);
  });

  it("a stale, missing or extra file is reported", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "deploy-drift-"));
    try {
      for (const [file, text] of renderDeployFiles()) {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        writeFileSync(path.join(dir, file), text);
      }
      expect(driftFromDisk(dir)).toEqual([]);
      const role = path.join(dir, "config/rbac/role.yaml");
      writeFileSync(role, readFileSync(role, "utf8").replace("      - get\n", "      - get\n      - list\n"));
      rmSync(path.join(dir, "config/rbac/leader_election_role.yaml"));
      writeFileSync(path.join(dir, "config/rbac/extra.yaml"), "kind: Role\n");
      expect(driftFromDisk(dir).sort()).toEqual([
        "differs: config/rbac/role.yaml",
        "missing: config/rbac/leader_election_role.yaml",
        "not generated (remove it): config/rbac/extra.yaml",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("RBAC source (scripts/deploy/rbac.ts)", () => {
  const all = GRANTS.map((g) => g.rule);

  it("grants no wildcard and no delete, update of custom resources, or Secret listing", () => {
    for (const rule of all) {
      expect(rule.verbs).not.toContain("*");
      expect(rule.resources).not.toContain("*");
      expect(rule.apiGroups).not.toContain("*");
    }
    // Secrets: read by name; created and patched only for Bucket outputs, which the chart can turn
    // off; never listed, watched or deleted.
    expect(rulesFor("credentials").filter((r) => r.resources.includes("secrets"))).toEqual([
      { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
    ]);
    expect(rulesFor("outputSecrets")).toEqual([
      { apiGroups: [""], resources: ["secrets"], verbs: ["create", "patch"] },
    ]);
    expect(rulesFor("watched", "cluster", "leaderElection").flatMap((r) => r.resources)).not.toContain(
      "secrets",
    );
    const custom = all.filter((r) => r.apiGroups.includes("clouddigit.ai"));
    expect(custom.length).toBeGreaterThan(3);
    for (const rule of custom) {
      expect(
        rule.verbs.filter((v) => ["create", "delete", "update", "deletecollection"].includes(v)),
      ).toEqual([]);
    }
  });

  it("covers every kind the controllers manage (list, watch, patch and status patch)", () => {
    const watched = rulesFor("watched");
    for (const kind of MANAGED_KINDS) {
      const plural = `${kind.toLowerCase()}s`;
      expect(watched.some((r) => r.resources.includes(plural) && r.verbs.join() === "list,patch,watch")).toBe(
        true,
      );
      expect(
        watched.some((r) => r.resources.includes(`${plural}/status`) && r.verbs.join() === "patch"),
      ).toBe(true);
    }
  });

  it("every grant says which code needs it", () => {
    for (const g of GRANTS) expect(g.why).toMatch(/src\/[a-z/-]+\.ts/);
  });

  it("kustomize base renders only the expected kinds of objects", () => {
    const docs = [
      "role.yaml",
      "role_binding.yaml",
      "leader_election_role.yaml",
      "leader_election_role_binding.yaml",
      "service_account.yaml",
    ]
      .flatMap((f) => parseAllDocuments(readFileSync(path.join(ROOT, "config/rbac", f), "utf8")))
      .map((d) => (d.toJS() as { kind: string }).kind)
      .sort();
    expect(docs).toEqual(["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ServiceAccount"]);
  });
});
