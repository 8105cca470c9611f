// Raw requests to the apiserver, so the tests see exactly what kubectl would: status codes,
// Status bodies with field causes, Table responses, the OpenAPI v3 document.
import https from "node:https";
import type * as k8s from "@kubernetes/client-node";

export interface KubeResponse {
  status: number;
  body: unknown;
  text: string;
}

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface KubeStatus {
  kind: "Status";
  code: number;
  reason?: string;
  message?: string;
  details?: { causes?: StatusCause[] };
}

export async function kubeRequest(
  kc: k8s.KubeConfig,
  method: string,
  path: string,
  opts: { body?: string | object; contentType?: string; accept?: string } = {},
): Promise<KubeResponse> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error("kubeconfig has no current cluster");
  const url = new URL(path, server);
  const options: https.RequestOptions = {
    method,
    hostname: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers: {},
  };
  await kc.applyToHTTPSOptions(options);
  const payload =
    opts.body === undefined
      ? undefined
      : typeof opts.body === "string"
        ? opts.body
        : JSON.stringify(opts.body);
  options.headers = {
    ...options.headers,
    accept: opts.accept ?? "application/json",
    ...(payload === undefined ? {} : { "content-type": opts.contentType ?? "application/json" }),
  };
  return new Promise((resolve, reject) => {
    const req = https.request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // Not JSON (e.g. a plain-text error); keep the text.
        }
        resolve({ status: res.statusCode ?? 0, body, text });
      });
    });
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export function isStatus(body: unknown): body is KubeStatus {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "Status";
}
