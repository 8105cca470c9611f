import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  CIDR_SHAPE,
  ID_PATTERNS,
  ID_PREFIXES,
  IDEMPOTENCY_KEY_PATTERN,
  MAX_DESCRIPTION_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  MAX_TAGS,
  NAME_PATTERN,
  PROJECT_PATTERN,
  REGIONS,
  SUBNET_CIDR_PATTERN,
  TAG_FILTER_PATTERN,
  TAG_KEY_PATTERN,
  VPC_CIDR_PATTERN,
  ZONE_PATTERN,
  ZONES,
  idPatternSource,
  zonesOf,
  type ResourceKind,
} from "./patterns.ts";

// sandbox/openapi.yaml states the wire rules in its own words (JSON Schema); this module states them
// for the code. Both must say the same, or a request the document allows could be refused (or the
// other way round) without any test noticing.

const doc: unknown = parse(
  readFileSync(fileURLToPath(new URL("../../sandbox/openapi.yaml", import.meta.url)), "utf8"),
);

/** The value at a dotted path of the document, e.g. `components.schemas.Name.pattern`. */
function at(path: string, root: unknown = doc): unknown {
  let node = root;
  for (const key of path.split(".")) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}
const schema = (path: string): unknown => at(`components.schemas.${path}`);
const parameter = (path: string): unknown => at(`components.parameters.${path}`);

/** A document pattern as the RegExp source JavaScript would print for it. */
const same = (documented: unknown): string => new RegExp(String(documented), "u").source;

const KIND_NAMES: Record<ResourceKind, string> = {
  vpc: "Vpc",
  subnet: "Subnet",
  ssh_key: "SshKey",
  server: "Server",
  volume: "Volume",
};

describe("sandbox/openapi.yaml carries the shared patterns", () => {
  it.each(Object.entries(KIND_NAMES) as [ResourceKind, string][])(
    "%s ids: the schema, the path parameter, the cursor and the id filters",
    (kind, name) => {
      const id = idPatternSource(ID_PREFIXES[kind]);
      expect(schema(`${name}Id.pattern`)).toBe(id);
      expect(same(id)).toBe(ID_PATTERNS[kind].source);
      expect(parameter(`${name}IdPath.schema.$ref`)).toBe(`#/components/schemas/${name}Id`);
      expect(parameter(`${name}Cursor.schema.$ref`)).toBe(`#/components/schemas/${name}Id`);
      expect(parameter(`${name}IdFilter.schema.items.$ref`)).toBe(`#/components/schemas/${name}Id`);
      const body = id.slice(1, -1);
      expect(parameter(`${name}IdsFilter.schema.pattern`)).toBe(`^${body}(,${body}){0,999}$`);
    },
  );

  it("a volume's server_id is a server id", () => {
    expect(schema("Volume.properties.server_id.pattern")).toBe(idPatternSource(ID_PREFIXES.server));
  });

  it("names, descriptions and tags", () => {
    expect(same(schema("Name.pattern"))).toBe(NAME_PATTERN.source);
    expect(schema("Description.maxLength")).toBe(MAX_DESCRIPTION_LENGTH);
    expect(same(schema("Tags.propertyNames.pattern"))).toBe(TAG_KEY_PATTERN.source);
    expect(schema("Tags.maxProperties")).toBe(MAX_TAGS);
    expect(schema("Tags.additionalProperties.maxLength")).toBe(MAX_TAG_VALUE_LENGTH);
    expect(same(parameter("Tag.schema.items.pattern"))).toBe(TAG_FILTER_PATTERN.source);
  });

  it("the project header and the Idempotency-Key header", () => {
    expect(same(schema("Project.pattern"))).toBe(PROJECT_PATTERN.source);
    expect(same(parameter("IdempotencyKey.schema.pattern"))).toBe(IDEMPOTENCY_KEY_PATTERN.source);
  });

  it("regions and zones", () => {
    expect(schema("Region.properties.name.enum")).toEqual([...REGIONS]);
    for (const server of at("servers") as unknown[])
      expect(at("variables.region.enum", server)).toEqual([...REGIONS]);
    expect(same(schema("Zone.pattern"))).toBe(ZONE_PATTERN.source);
    expect(ZONES.filter((z) => ZONE_PATTERN.test(z))).toEqual(ZONES);
    expect(ZONE_PATTERN.test("bd-dha-1d")).toBe(false);
    expect(zonesOf("bd-ctg-1")).toEqual(["bd-ctg-1a", "bd-ctg-1b", "bd-ctg-1c"]);
  });

  it("CIDRs", () => {
    expect(same(schema("Cidr.pattern"))).toBe(CIDR_SHAPE.source);
    expect(same(schema("VpcCidr.pattern"))).toBe(VPC_CIDR_PATTERN.source);
    expect(same(schema("SubnetCidr.pattern"))).toBe(SUBNET_CIDR_PATTERN.source);
  });
});

describe("the CIDR patterns are exact", () => {
  it.each([
    ["10.0.0.0/16", true],
    ["10.255.128.0/17", true],
    ["172.31.255.0/24", true],
    ["192.168.0.0/16", true],
    ["10.0.0.0/8", false], // too large
    ["10.0.0.0/25", false], // too small for a VPC
    ["10.0.1.0/16", false], // host bits
    ["172.32.0.0/16", false], // outside 172.16.0.0/12
    ["8.8.0.0/16", false], // public
    ["10.0.01.0/24", false], // leading zero
    ["10.256.0.0/16", false],
  ])("VPC %s: %s", (cidr, ok) => {
    expect(VPC_CIDR_PATTERN.test(cidr)).toBe(ok);
  });

  it.each([
    ["10.0.3.0/28", true],
    ["10.0.3.240/28", true],
    ["10.0.3.8/28", false], // host bits
    ["10.0.2.0/29", false], // smaller than a /28
    ["10.0.0.0/16", true],
  ])("subnet %s: %s", (cidr, ok) => {
    expect(SUBNET_CIDR_PATTERN.test(cidr)).toBe(ok);
  });
});
