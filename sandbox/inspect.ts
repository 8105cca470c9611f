import { createServer, type Server } from "node:http";
import { kindOfId, type PendingTransition, type Resource } from "./model.ts";
import type { ActiveFault } from "./faults.ts";
import type { CallCounts, CallFilter, CallRecord } from "./recorder.ts";

/** What the inspection endpoint shows; the same data the in-process API returns. */
export interface InspectionSource {
  calls(filter: CallFilter): CallRecord[];
  counts(): CallCounts;
  resources(): Resource[];
  transitions(): PendingTransition[];
  faults(): ActiveFault[];
  settings(): unknown;
}

/**
 * The read-only inspection endpoint, on its own loopback port so tests can look without
 * spending the API's rate budget or showing up in its call counts:
 *   GET /calls?token=&method=&path=&status=&since=   every recorded call (path = template)
 *   GET /counts                                       counts by token/method/template/status
 *   GET /resources?project=&kind=                     current resources (kind: vpc, subnet, ssh_key, server, volume)
 *   GET /transitions, /faults, /settings, /healthz
 */
export function createInspectionServer(source: InspectionSource): Server {
  return createServer((req, res) => {
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (req.method !== "GET") return send(405, { error: "the inspection endpoint is read-only" });
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const q = url.searchParams;
    switch (url.pathname) {
      case "/healthz":
        return send(200, { ok: true });
      case "/calls": {
        const filter: CallFilter = {};
        const token = q.get("token");
        const method = q.get("method");
        const path = q.get("path");
        const status = q.get("status");
        const since = q.get("since");
        if (token !== null) filter.token = token;
        if (method !== null) filter.method = method.toUpperCase();
        if (path !== null) filter.template = path;
        if (status !== null) filter.status = Number(status);
        if (since !== null) filter.since = Number(since);
        return send(200, { calls: source.calls(filter) });
      }
      case "/counts":
        return send(200, source.counts());
      case "/resources": {
        const project = q.get("project");
        const kind = q.get("kind");
        return send(200, {
          items: source
            .resources()
            .filter((r) => project === null || r.project === project)
            .filter((r) => kind === null || kindOfId(r.id) === kind),
        });
      }
      case "/transitions":
        return send(200, { items: source.transitions() });
      case "/faults":
        return send(200, { items: source.faults() });
      case "/settings":
        return send(200, source.settings());
      default:
        return send(404, { error: "unknown inspection path" });
    }
  });
}
