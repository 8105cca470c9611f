import type { WireSchemas } from "./openapi.ts";
import { REGIONS as REGION_NAMES, zonesOf } from "../src/shared/patterns.ts";

/**
 * The catalogs: flavors, images and regions as Cloud Digit documents them. Zone names are not
 * published; we assume `<region>a`, `<region>b`, `<region>c`.
 */
export type Flavor = WireSchemas["Flavor"];
export type Image = WireSchemas["Image"];
export type Region = WireSchemas["Region"];

function family(name: Flavor["family"], ratio: number, vcpuSizes: number[]): Flavor[] {
  return vcpuSizes.map((vcpus) => ({
    name: `${name}-${vcpus}x${vcpus * ratio}`,
    family: name,
    vcpus,
    ram_gib: vcpus * ratio,
  }));
}

export const FLAVORS: readonly Flavor[] = [
  ...family("std", 4, [1, 2, 4, 8, 16, 32, 48]),
  ...family("mem", 8, [2, 4, 8, 16, 32, 64]),
  ...family("cpu", 2, [2, 4, 8, 16, 32, 48, 64, 96]),
];

const linux = (name: string, distribution: string, version: string): Image => ({
  name,
  os: "linux",
  distribution,
  version,
  state: "active",
  min_disk_gib: 10,
});
const windows = (version: string): Image => ({
  name: `windows-server-${version}`,
  os: "windows",
  distribution: "windows-server",
  version,
  state: "active",
  min_disk_gib: 40,
});

export const IMAGES: readonly Image[] = [
  linux("ubuntu-22.04", "ubuntu", "22.04"),
  linux("ubuntu-24.04", "ubuntu", "24.04"),
  linux("debian-12", "debian", "12"),
  linux("rocky-9", "rocky", "9"),
  linux("alma-9", "alma", "9"),
  linux("rhel-9", "rhel", "9"),
  windows("2019"),
  windows("2022"),
  windows("2025"),
];

const DISPLAY_NAMES: Record<Region["name"], string> = {
  "bd-dha-1": "Dhaka",
  "bd-ctg-1": "Chattogram",
  "bd-syl-1": "Sylhet",
};

export const REGIONS: readonly Region[] = REGION_NAMES.map((name) => ({
  name,
  display_name: DISPLAY_NAMES[name],
  zones: zonesOf(name),
}));

export const flavorByName = new Map<string, Flavor>(FLAVORS.map((f) => [f.name, f]));
export const imageByName = new Map<string, Image>(IMAGES.map((i) => [i.name, i]));
export const regionByName = new Map<string, Region>(REGIONS.map((r) => [r.name, r]));
