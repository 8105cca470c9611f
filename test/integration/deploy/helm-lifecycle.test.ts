// helm install, upgrade and uninstall of the chart against a control plane of its own (the shared
// one already has CRDs that Helm would refuse to adopt): the CRDs are created and upgraded by the
// release, and uninstalling keeps them, and the custom resources in them, while everything else goes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type ControlPlane } from "../../support/control-plane.ts";
import { CHART, helmBin, kubectlBin, run, type RunResult } from "./support.ts";

let cp: ControlPlane;
const NS = "clouddigit-system";

beforeAll(async () => {
  cp = await startControlPlane();
});

afterAll(async () => {
  await cp?.stop();
});

const helm = (...args: string[]): Promise<RunResult> =>
  run(helmBin(), [...args, "--kubeconfig", cp.kubeconfigPath]);
const kubectl = (args: string[], input?: string): Promise<RunResult> =>
  run(kubectlBin(), ["--kubeconfig", cp.kubeconfigPath, ...args], input);

describe("helm install / upgrade / uninstall", () => {
  it("installs the CRDs with the release, upgrades them, and keeps them (and custom resources) on uninstall", async () => {
    const install = await helm("install", "cdop", CHART, "--namespace", NS, "--create-namespace");
    expect(install.stderr).toBe("");
    expect(install.code).toBe(0);
    expect(install.stdout).toContain("STATUS: deployed");
    expect(install.stdout).toContain("clouddigit-operator 0.1.0 is installed in namespace clouddigit-system");

    const crds = await kubectl(["get", "crd", "-o", "name"]);
    expect(crds.stdout.split("\n").filter((l) => l.endsWith(".clouddigit.ai"))).toHaveLength(8);
    await kubectl(["create", "namespace", "team-a"]);
    const vpc = await kubectl(
      ["apply", "-n", "team-a", "-f", "-"],
      JSON.stringify({
        apiVersion: "clouddigit.ai/v1alpha1",
        kind: "VPC",
        metadata: { name: "web" },
        spec: { cidr: "10.20.0.0/16" },
      }),
    );
    expect(vpc.code).toBe(0);

    const upgrade = await helm("upgrade", "cdop", CHART, "--namespace", NS, "--set", "replicaCount=3");
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toContain("REVISION: 2");
    const replicas = await kubectl([
      "get",
      "deployment",
      "-n",
      NS,
      "cdop-clouddigit-operator",
      "-o",
      "jsonpath={.spec.replicas}",
    ]);
    expect(replicas.stdout).toBe("3");
    const managed = await kubectl([
      "get",
      "crd",
      "vpcs.clouddigit.ai",
      "-o",
      "jsonpath={.metadata.labels.app\\.kubernetes\\.io/managed-by} {.metadata.annotations.meta\\.helm\\.sh/release-name}",
    ]);
    expect(managed.stdout).toBe("Helm cdop");

    const uninstall = await helm("uninstall", "cdop", "--namespace", NS);
    expect(uninstall.code).toBe(0);
    expect(uninstall.stdout).toMatch(/kept due to the resource policy/);
    const after = await kubectl(["get", "crd", "-o", "name"]);
    expect(after.stdout.split("\n").filter((l) => l.endsWith(".clouddigit.ai"))).toHaveLength(8);
    expect((await kubectl(["get", "vpc", "web", "-n", "team-a", "-o", "name"])).stdout.trim()).toBe(
      "vpc.clouddigit.ai/web",
    );
    const deployment = await kubectl(["get", "deployment", "-n", NS, "cdop-clouddigit-operator"]);
    expect(deployment.code).not.toBe(0);
    expect(deployment.stderr).toContain("NotFound");
    const clusterRole = await kubectl(["get", "clusterrole", "cdop-clouddigit-operator"]);
    expect(clusterRole.stderr).toContain("NotFound");
  });
});
