// Writes src/client/api/openapi.ts, the TypeScript types of the wire contract, from
// sandbox/openapi.yaml with openapi-typescript, formatted with the project's prettier settings so the
// checked-in file is byte-for-byte what this script writes.
// Usage: scripts/with-node --import tsx scripts/generate-openapi-types.ts [--check]
// With --check nothing is written; it exits 1 when the checked-in file is stale.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import * as prettier from "prettier";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const DOCUMENT = path.join(ROOT, "sandbox/openapi.yaml");
export const TYPES_FILE = path.join(ROOT, "src/client/api/openapi.ts");

const HEADER = `// Generated from sandbox/openapi.yaml by \`npm run generate\` (scripts/generate-openapi-types.ts,
// openapi-typescript); do not edit. \`npm run generate:check\` fails when this file is stale.
`;

export async function renderTypes(): Promise<string> {
  const ast = await openapiTS(pathToFileURL(DOCUMENT), {
    // Responses and request bodies are closed objects in the document; say so in the types too.
    additionalProperties: false,
    alphabetize: false,
  });
  const options = (await prettier.resolveConfig(TYPES_FILE)) ?? {};
  return prettier.format(HEADER + astToString(ast), { ...options, parser: "typescript" });
}

async function main(argv: string[]): Promise<number> {
  const expected = await renderTypes();
  const relative = path.relative(ROOT, TYPES_FILE);
  if (argv.includes("--check")) {
    let actual = "";
    try {
      actual = readFileSync(TYPES_FILE, "utf8");
    } catch {
      // missing: reported below like any other difference
    }
    if (actual === expected) {
      console.log(`${relative} is up to date`);
      return 0;
    }
    console.error(
      `${relative} differs from what sandbox/openapi.yaml generates: run \`npm run generate\` and commit the result`,
    );
    return 1;
  }
  writeFileSync(TYPES_FILE, expected);
  console.log(`wrote ${relative}`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
