import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/**
 * A server process started for tests, tethered to this Node process: a small shell wrapper
 * watches our pid and kills the child when we die, even by SIGKILL, so a crashed test run
 * never leaves etcd or kube-apiserver behind.
 */
export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  /** Last lines of output, for error messages. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after graceMs. Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL now. */
  kill(): Promise<void>;
}

const TETHER = `
parent=$1; orphan_dir=$2; shift 2
"$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null' TERM INT
trap 'kill -KILL $child 2>/dev/null' USR1
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 0.5 & wait $!; done
if kill -0 "$child" 2>/dev/null; then kill -TERM "$child"; sleep 5; kill -KILL "$child" 2>/dev/null; fi
wait "$child"
status=$?
if [ -n "$orphan_dir" ] && ! kill -0 "$parent" 2>/dev/null; then rm -rf -- "$orphan_dir"; fi
exit $status
`;

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /**
   * A temp dir (under the OS temp dir) the process works in, removed by the tether once the
   * process is gone if this Node process died first: nobody else is left to remove it.
   */
  orphanDir?: string;
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: StartOptions,
): ManagedProcess {
  const log: WriteStream = createWriteStream(opts.logFile, { flags: "a" });
  const recent: string[] = [];
  if (opts.orphanDir !== undefined && !isOwnTempDir(opts.orphanDir)) {
    throw new Error(`orphanDir must be a directory under ${os.tmpdir()}: ${opts.orphanDir}`);
  }
  const tetherArgs = [String(process.pid), opts.orphanDir ?? "", command, ...args];
  const child = spawn("bash", ["-c", TETHER, "tether", ...tetherArgs], {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const onData = (chunk: Buffer): void => {
    log.write(chunk);
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.length > 0) recent.push(line);
    }
    if (recent.length > 200) recent.splice(0, recent.length - 200);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      log.end();
      resolve(code);
    });
    child.on("error", () => resolve(null));
  });
  let stopping: Promise<void> | undefined;
  const proc: ManagedProcess = {
    name,
    child,
    logFile: opts.logFile,
    exited,
    tail: (lines = 30) => recent.slice(-lines).join("\n"),
    stop(graceMs = 10_000) {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGUSR1"), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGUSR1");
      await exited;
    },
  };
  return proc;
}

function isOwnTempDir(dir: string): boolean {
  const rel = path.relative(os.tmpdir(), path.resolve(dir));
  return rel.length > 0 && !rel.startsWith("..") && !path.isAbsolute(rel);
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") return reject(new Error("no port"));
      srv.close(() => resolve(addr.port));
    });
  });
}

/** Polls `probe` until it returns true, or fails with `describe()` after timeoutMs. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; whileAlive?: ManagedProcess },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const p = opts.whileAlive;
    if (p && (p.child.exitCode !== null || p.child.signalCode !== null)) {
      throw new Error(`${p.name} exited while waiting for ${what}; last output:\n${p.tail()}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
  const tail = opts.whileAlive ? `\nlast output of ${opts.whileAlive.name}:\n${opts.whileAlive.tail()}` : "";
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}: ${String(lastError)}${tail}`);
}
