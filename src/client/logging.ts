import { headerRedactPaths } from "../shared/logging.ts";

/**
 * What the client adds to the shared redaction list (src/shared/logging.ts): the Cloud Digit API
 * takes a token in its own header besides Authorization. Every logger the client is given must be
 * made with these, as src/main.ts does: `createLogger({ redact: CLIENT_REDACT_PATHS })`.
 */
export const CLIENT_REDACT_PATHS: readonly string[] = headerRedactPaths(["x-cd-token", "X-Cd-Token"]);
