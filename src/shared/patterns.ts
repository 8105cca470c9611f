// The rules of the Cloud Digit wire format that more than one part of the project checks: the CRDs
// (src/crds/common.ts) refuse at admission what the cloud would refuse, the REST client checks what
// it receives, the sandbox enforces them, and sandbox/openapi.yaml states them. They live here once;
// src/shared/patterns.test.ts fails when the document's copy differs from this one.

/** Crockford base32 ULID (no I, L, O, U): the body of every resource ID. */
export const ULID_BODY = "[0-9A-HJKMNP-TV-Z]{26}";

/** ID prefixes per kind of REST resource, e.g. `vpc_01J0...`. */
export const ID_PREFIXES = {
  vpc: "vpc",
  subnet: "subnet",
  ssh_key: "sshkey",
  server: "vm",
  volume: "vol",
} as const;

export type ResourceKind = keyof typeof ID_PREFIXES;

/** `^<prefix>_<ULID>$` as a regex source (the form JSON Schema and CEL take). */
export function idPatternSource(prefix: string): string {
  return `^${prefix}_${ULID_BODY}$`;
}

export const ID_PATTERNS: Readonly<Record<ResourceKind, RegExp>> = Object.fromEntries(
  Object.entries(ID_PREFIXES).map(([kind, prefix]) => [kind, new RegExp(idPatternSource(prefix))]),
) as Record<ResourceKind, RegExp>;

/** Resource names: 1-128 of letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Tag keys: 1-128 of letters, digits, `.`, `_`, `/`, `-`, starting with a letter or digit. No `:`,
 * which separates key and value in tag filters.
 */
export const TAG_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
export const MAX_TAGS = 50;
export const MAX_TAG_VALUE_LENGTH = 256;
export const MAX_DESCRIPTION_LENGTH = 255;

/** `tag=` list filters: a tag key, optionally followed by `:value` (any value). */
export const TAG_FILTER_PATTERN = new RegExp(`${TAG_KEY_PATTERN.source.slice(0, -1)}(:[\\s\\S]*)?$`);

/** Project names (the X-Cd-Project header). */
export const PROJECT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Idempotency-Key header values: 1-255 visible ASCII characters (no spaces, no control characters). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Regions Cloud Digit serves; each has the zones `<region>a`, `<region>b` and `<region>c`. */
export const REGIONS = ["bd-dha-1", "bd-ctg-1", "bd-syl-1"] as const;
export type RegionName = (typeof REGIONS)[number];
export const ZONE_LETTERS = ["a", "b", "c"] as const;

export function zonesOf(region: string): string[] {
  return ZONE_LETTERS.map((letter) => `${region}${letter}`);
}

/** Every zone of every region. */
export const ZONES: readonly string[] = REGIONS.flatMap(zonesOf);

/** Zones of any region: `<region><a|b|c>`, e.g. `bd-dha-1a`. */
export const ZONE_PATTERN = new RegExp(`^(${REGIONS.join("|")})[${ZONE_LETTERS.join("")}]$`);

/** The textual shape of an IPv4 CIDR; the value rules (octets, prefix, host bits) are checked apart. */
export const CIDR_SHAPE = /^[0-9]{1,3}(\.[0-9]{1,3}){3}\/[0-9]{1,2}$/;

/** A decimal octet 0-255 without leading zeros, as the sandbox parses it. */
const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";

/** The octet values whose low `zeroBits` bits are zero, as one alternation. */
function alignedOctets(zeroBits: number): string {
  if (zeroBits === 0) return OCTET;
  const step = 2 ** zeroBits;
  return `(${Array.from({ length: 256 / step }, (_, i) => String(i * step)).join("|")})`;
}

/**
 * IPv4 CIDRs in network form (no host bits) inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 with
 * a prefix from `minPrefix` to `maxPrefix` (both at least 16, so the first two octets only pick the
 * private range). Exact, so that a schema-valid CIDR is one the cloud accepts.
 */
export function privateCidrPatternSource(minPrefix: number, maxPrefix: number): string {
  if (minPrefix < 16 || maxPrefix > 32 || minPrefix > maxPrefix) throw new Error("prefixes must be 16-32");
  const byPrefix: string[] = [];
  for (let prefix = minPrefix; prefix <= maxPrefix; prefix++) {
    const third = alignedOctets(Math.max(0, 24 - prefix));
    const fourth = prefix <= 24 ? "0" : alignedOctets(32 - prefix);
    byPrefix.push(`${third}\\.${fourth}/${prefix}`);
  }
  return `^(10\\.${OCTET}|172\\.(1[6-9]|2[0-9]|3[01])|192\\.168)\\.(${byPrefix.join("|")})$`;
}

/** A VPC's range: /16 to /24 in a private range. */
export const VPC_CIDR_PATTERN = new RegExp(privateCidrPatternSource(16, 24));
/** A subnet's range: at most a /28 (and, checked by the cloud, inside its VPC's range). */
export const SUBNET_CIDR_PATTERN = new RegExp(privateCidrPatternSource(16, 28));
