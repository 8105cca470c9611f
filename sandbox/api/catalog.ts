import { FLAVORS, IMAGES, REGIONS, flavorByName, imageByName, regionByName } from "../catalog.ts";
import { badRequest, notFound } from "../errors.ts";
import type { Call, Reply } from "./context.ts";

function only(call: Call, allowed: string[]): void {
  for (const key of call.query.keys()) {
    if (!allowed.includes(key))
      throw badRequest(`unknown query parameter '${key.slice(0, 64)}'`, { parameter: key.slice(0, 64) });
  }
}

/** Catalogs are small: one page, `next_cursor` always null. */
export function listFlavors(call: Call): Reply {
  only(call, ["family"]);
  const family = call.query.get("family");
  if (family !== null && !["std", "mem", "cpu"].includes(family))
    throw badRequest("family is std, mem or cpu", { parameter: "family" });
  return {
    status: 200,
    body: { items: FLAVORS.filter((f) => family === null || f.family === family), next_cursor: null },
  };
}

export function getFlavor(call: Call): Reply {
  const flavor = flavorByName.get(call.params[0] ?? "");
  if (!flavor) throw notFound(`flavor '${(call.params[0] ?? "").slice(0, 64)}' not found`);
  return { status: 200, body: flavor };
}

export function listImages(call: Call): Reply {
  only(call, ["os"]);
  const os = call.query.get("os");
  if (os !== null && os !== "linux" && os !== "windows")
    throw badRequest("os is linux or windows", { parameter: "os" });
  return {
    status: 200,
    body: { items: IMAGES.filter((i) => os === null || i.os === os), next_cursor: null },
  };
}

export function getImage(call: Call): Reply {
  const image = imageByName.get(call.params[0] ?? "");
  if (!image) throw notFound(`image '${(call.params[0] ?? "").slice(0, 64)}' not found`);
  return { status: 200, body: image };
}

export function listRegions(call: Call): Reply {
  only(call, []);
  return { status: 200, body: { items: REGIONS, next_cursor: null } };
}

export function getRegion(call: Call): Reply {
  const region = regionByName.get(call.params[0] ?? "");
  if (!region) throw notFound(`region '${(call.params[0] ?? "").slice(0, 64)}' not found`);
  return { status: 200, body: region };
}
