import net from "node:net";
import type { AddressInfo } from "node:net";
import * as k8s from "@kubernetes/client-node";

/**
 * A loopback TCP proxy in front of kube-apiserver that can cut every connection and refuse new
 * ones: a network outage for one client only, while others keep writing to the API. TLS passes
 * through untouched.
 */
export class PausableProxy {
  private readonly sockets = new Set<net.Socket>();
  private paused = false;
  private server: net.Server | undefined;
  port = 0;

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  async start(): Promise<void> {
    this.server = net.createServer((client) => {
      if (this.paused) return client.destroy();
      const upstream = net.connect(this.upstreamPort, this.upstreamHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  pause(): void {
    this.paused = true;
    for (const s of this.sockets) s.destroy();
  }

  resume(): void {
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.pause();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** A copy of kc whose current cluster is reached through this proxy. */
  kubeConfigThrough(kc: k8s.KubeConfig): k8s.KubeConfig {
    const current = kc.getCurrentCluster();
    if (!current) throw new Error("no current cluster");
    const out = new k8s.KubeConfig();
    out.loadFromOptions({
      clusters: kc.clusters.map((c) =>
        c.name === current.name ? { ...c, server: `https://127.0.0.1:${this.port}` } : c,
      ),
      users: kc.users,
      contexts: kc.contexts,
      currentContext: kc.currentContext,
    });
    return out;
  }
}
