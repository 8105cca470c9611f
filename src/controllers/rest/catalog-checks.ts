// Create-time checks of values the cloud would refuse as invalid: names against the catalogs
// (flavors, images, zones of the config's region) and cloud IDs given directly in a spec (they
// must exist in the config's project). A refused create is a wasted call and an error the user
// only sees after a round trip; a check here names the field and what would be accepted.
// Catalogs are cached per client for CATALOG_TTL_MS, so they cost a few calls per credential.
import { SpecError } from "../generic/actuator.ts";
import type { CloudApi } from "./cloud-api.ts";

export const CATALOG_TTL_MS = 10 * 60_000;

interface CatalogEntry {
  at: number;
  names: Promise<ReadonlySet<string> | undefined>;
}

type CatalogName = "flavors" | "images" | "zones";

const catalogs = new WeakMap<CloudApi, Map<CatalogName, CatalogEntry>>();

/** The names in one catalog; undefined when this client cannot tell (then the cloud decides). */
export async function catalogNames(
  api: CloudApi,
  name: CatalogName,
  signal?: AbortSignal,
  now: () => number = Date.now,
): Promise<ReadonlySet<string> | undefined> {
  let byName = catalogs.get(api);
  if (!byName) catalogs.set(api, (byName = new Map<CatalogName, CatalogEntry>()));
  const cached = byName.get(name);
  if (cached && now() - cached.at < CATALOG_TTL_MS) return cached.names;
  const names = load(api, name, signal);
  const entry = { at: now(), names };
  byName.set(name, entry);
  // A failed load is not remembered: the next create tries again.
  names.catch(() => {
    if (byName.get(name) === entry) byName.delete(name);
  });
  return names;
}

async function load(
  api: CloudApi,
  name: CatalogName,
  signal?: AbortSignal,
): Promise<ReadonlySet<string> | undefined> {
  const opts = signal ? { signal } : {};
  switch (name) {
    case "flavors":
      return api.compute.flavors ? new Set((await api.compute.flavors(opts)).map((f) => f.name)) : undefined;
    case "images":
      return api.compute.images ? new Set((await api.compute.images(opts)).map((i) => i.name)) : undefined;
    case "zones": {
      if (!api.region) return undefined;
      const region = (await api.regions(opts)).find((r) => r.name === api.region);
      return region ? new Set(region.zones) : undefined;
    }
  }
}

const WHAT: Record<CatalogName, string> = {
  flavors: "flavor",
  images: "image",
  zones: "zone",
};

/** Throws a SpecError naming the field when `value` is not in the catalog. */
export async function requireInCatalog(
  api: CloudApi,
  catalog: CatalogName,
  field: string,
  value: string,
  signal?: AbortSignal,
): Promise<void> {
  const names = await catalogNames(api, catalog, signal);
  if (!names || names.has(value)) return;
  const where = catalog === "zones" ? ` of region ${api.region ?? ""}` : "";
  // Names sharing the value's prefix (its flavor family, its region's zones) are the likely fix: first.
  const prefix = value.split("-")[0] ?? "";
  const near = (n: string) => (n.split("-")[0] === prefix ? 0 : 1);
  const known = [...names].sort((a, b) => near(a) - near(b) || a.localeCompare(b, "en", { numeric: true }));
  const list = known.length > 12 ? `${known.slice(0, 12).join(", ")}, ...` : known.join(", ");
  throw new SpecError(`${field}: ${value} is not a known ${WHAT[catalog]}${where}; known: ${list}`);
}

/** Throws a SpecError when a cloud ID given in the spec does not exist in the config's project. */
export async function requireExisting(
  find: (id: string) => Promise<unknown>,
  field: string,
  id: string,
): Promise<void> {
  if ((await find(id)) === undefined) {
    throw new SpecError(
      `${field}: ${id} does not exist in the project of the ProviderConfig (or belongs to another project)`,
    );
  }
}
