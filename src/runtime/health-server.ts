import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface HealthServerOptions {
  /** Default 127.0.0.1: set 0.0.0.0 explicitly to expose probes and metrics beyond the pod. */
  host?: string;
  /** Default 8080; 0 picks a free port (see address()). */
  port?: number;
  registry: Registry;
  /** Liveness: the process is not wedged. */
  healthy: () => boolean;
  /** Readiness: caches synced (and leader or standby when leader election is on). */
  ready: () => { ready: boolean; reason?: string };
}

/** /healthz, /readyz and /metrics on one small HTTP server. */
export class HealthServer {
  private server: http.Server | undefined;

  constructor(private readonly opts: HealthServerOptions) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
    // keep-alive connections from scrapers must not delay shutdown
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.opts.port ?? 8080, this.opts.host ?? "127.0.0.1", () => resolve());
    });
  }

  address(): { host: string; port: number } {
    const a = this.server?.address() as AddressInfo | null | undefined;
    if (!a) throw new Error("health server not started");
    return { host: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    const text = (status: number, body: string, type = "text/plain; charset=utf-8"): void => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return text(405, "method not allowed\n");
    try {
      switch (path) {
        case "/healthz":
        case "/livez":
          return this.opts.healthy() ? text(200, "ok\n") : text(500, "unhealthy\n");
        case "/readyz": {
          const r = this.opts.ready();
          return r.ready ? text(200, "ok\n") : text(503, `not ready: ${r.reason ?? "starting"}\n`);
        }
        case "/metrics":
          return text(200, await this.opts.registry.metrics(), this.opts.registry.contentType);
        default:
          return text(404, "not found\n");
      }
    } catch (err) {
      return text(500, `error: ${String(err)}\n`);
    }
  }
}
