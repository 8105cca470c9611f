import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startProcess, waitUntil } from "./process.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** A real S3-compatible server (versitygw, posix backend) on 127.0.0.1 for tests. */
export interface S3Server {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  logFile: string;
  stop(): Promise<void>;
}

/** Finds versitygw: $CLOUDDIGIT_VERSITYGW, else scripts/testbin s3 (built once, cached). */
export function resolveVersitygw(): string {
  const fromEnv = process.env.CLOUDDIGIT_VERSITYGW;
  if (fromEnv) return fromEnv;
  const out = execFileSync(path.join(repoRoot, "scripts/testbin"), ["--print-env", "s3"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const bin = /^CLOUDDIGIT_VERSITYGW=(.*)$/m.exec(out)?.[1];
  if (!bin) throw new Error("versitygw not found; run scripts/testbin s3");
  return bin;
}

export async function startS3Server(): Promise<S3Server> {
  const bin = resolveVersitygw();
  const dir = mkdtempSync(path.join(os.tmpdir(), "cd-s3-"));
  const root = path.join(dir, "data");
  const versions = path.join(dir, "versions");
  const sidecar = path.join(dir, "meta");
  for (const d of [root, versions, sidecar]) mkdirSync(d);
  const port = await freePort();
  const accessKeyId = `test${randomBytes(6).toString("hex")}`;
  const secretAccessKey = randomBytes(24).toString("base64url");
  const region = "bd-dha-1";
  const logFile = path.join(dir, "versitygw.log");
  const proc = startProcess(
    "versitygw",
    bin,
    [
      "--port",
      `127.0.0.1:${port}`,
      "--region",
      region,
      "--quiet",
      "posix",
      // Metadata in a sidecar folder: tmpfs may lack user xattrs, and versioning needs its own folder.
      "--sidecar",
      sidecar,
      "--versioning-dir",
      versions,
      root,
    ],
    {
      logFile,
      env: { ...process.env, ROOT_ACCESS_KEY_ID: accessKeyId, ROOT_SECRET_ACCESS_KEY: secretAccessKey },
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    // Any HTTP answer (an unsigned request gets 403) means the server is listening.
    await waitUntil("versitygw to listen", async () => (await fetch(`${endpoint}/`)).status > 0, {
      timeoutMs: 30_000,
      whileAlive: proc,
    });
  } catch (err) {
    await proc.kill();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    logFile,
    async stop() {
      await proc.stop(5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
