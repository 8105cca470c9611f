import { describe, expect, it } from "vitest";
import type { CloudApi } from "./cloud-api.ts";
import { catalogNames, CATALOG_TTL_MS, requireExisting, requireInCatalog } from "./catalog-checks.ts";

function catalogApi(flavors: string[], calls: string[], fail = false): CloudApi {
  return {
    region: "bd-dha-1",
    regions: async () => {
      calls.push("regions");
      return [
        { name: "bd-dha-1", zones: ["bd-dha-1a", "bd-dha-1b"] },
        { name: "bd-ctg-1", zones: ["bd-ctg-1a"] },
      ];
    },
    compute: {
      flavors: async () => {
        calls.push("flavors");
        if (fail) throw new Error("503 unavailable");
        return flavors.map((name) => ({ name, vcpus: 1, ram_gib: 1 }));
      },
    },
  } as unknown as CloudApi;
}

describe("catalog checks", () => {
  it("lists the value's family first, in numeric order, and says which region a zone missed", async () => {
    const api = catalogApi(["cpu-2x4", "std-16x64", "std-1x4", "std-2x8", "mem-2x16"], []);
    await expect(requireInCatalog(api, "flavors", "spec.flavor", "std-3x9")).rejects.toThrow(
      "spec.flavor: std-3x9 is not a known flavor; known: std-1x4, std-2x8, std-16x64, cpu-2x4, mem-2x16",
    );
    await expect(requireInCatalog(api, "zones", "spec.zone", "bd-ctg-1a")).rejects.toThrow(
      "spec.zone: bd-ctg-1a is not a known zone of region bd-dha-1; known: bd-dha-1a, bd-dha-1b",
    );
    await expect(requireInCatalog(api, "flavors", "spec.flavor", "std-2x8")).resolves.toBeUndefined();
  });

  it("reads a catalog once per TTL, and forgets a failed read", async () => {
    const calls: string[] = [];
    let now = 0;
    const api = catalogApi(["std-1x4"], calls);
    await catalogNames(api, "flavors", undefined, () => now);
    now = CATALOG_TTL_MS - 1;
    await catalogNames(api, "flavors", undefined, () => now);
    expect(calls).toEqual(["flavors"]);
    now = CATALOG_TTL_MS;
    await catalogNames(api, "flavors", undefined, () => now);
    expect(calls).toEqual(["flavors", "flavors"]);

    const failing = catalogApi([], calls, true);
    await expect(catalogNames(failing, "flavors")).rejects.toThrow("503");
    await expect(catalogNames(failing, "flavors")).rejects.toThrow("503");
    expect(calls.filter((c) => c === "flavors")).toHaveLength(4);
  });

  it("leaves names to the cloud when the client has no catalog, and refuses IDs the project lacks", async () => {
    const bare = { regions: async () => [], compute: {} } as unknown as CloudApi;
    await expect(requireInCatalog(bare, "images", "spec.image", "anything")).resolves.toBeUndefined();
    await expect(requireInCatalog(bare, "zones", "spec.zone", "anywhere")).resolves.toBeUndefined();
    await expect(requireExisting(async () => undefined, "spec.vpcID", "vpc_X")).rejects.toThrow(
      "spec.vpcID: vpc_X does not exist in the project of the ProviderConfig",
    );
    await expect(
      requireExisting(async () => ({ id: "vpc_Y" }), "spec.vpcID", "vpc_Y"),
    ).resolves.toBeUndefined();
  });
});
