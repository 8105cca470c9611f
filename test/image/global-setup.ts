// The image tier's set-up: scripts/image builds the image from the Dockerfile (bases cached
// outside the clone, the podman layer cache makes an unchanged tree a few seconds) and runs its
// smoke test; its output goes to the run's log. Tests get the image's name and podman's config.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

export interface ImageUnderTest {
  /** localhost/clouddigit-operator:<version> */
  image: string;
  /** The containers.conf scripts/image wrote for this machine. */
  containersConf: string;
  /** The build stage's base (Debian with a shell and npm): what the hygiene checks must catch. */
  buildBase: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    imageUnderTest: ImageUnderTest;
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export default async function setup(project: TestProject): Promise<void> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(path.join(root, "scripts/image"), [], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`scripts/image failed (exit ${code})`)),
    );
  });
  const value = (key: string): string => {
    const v = new RegExp(`^${key}=(.*)$`, "m").exec(out)?.[1];
    if (!v) throw new Error(`scripts/image printed no ${key}`);
    return v;
  };
  project.provide("imageUnderTest", {
    image: value("CLOUDDIGIT_IMAGE"),
    containersConf: value("CONTAINERS_CONF"),
    buildBase: value("CLOUDDIGIT_BUILD_BASE"),
  });
}
