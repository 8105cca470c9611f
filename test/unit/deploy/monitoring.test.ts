// The dashboard and the PrometheusRule read only metrics the operator exports: the names come
// from the real metric classes registered on one registry, as in the operator process.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { buildDashboard, dashboardMetricNames, metricNamesIn } from "../../../scripts/deploy/dashboard.ts";
import { DASHBOARD_FILE, ROOT } from "../../../scripts/deploy/generate.ts";
import { promqlSyntaxErrors, withGrafanaVariables } from "../../../scripts/deploy/promql.ts";
import { ClientMetrics } from "../../../src/client/metrics.ts";
import { ResourceMetrics } from "../../../src/controllers/generic/metrics.ts";
import { RuntimeMetrics } from "../../../src/runtime/metrics.ts";

async function exportedNames(): Promise<Set<string>> {
  const registry = new Registry();
  RuntimeMetrics.for(registry);
  new ClientMetrics(registry);
  new ResourceMetrics(registry);
  return new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
}

describe("monitoring assets", () => {
  it("every metric the Grafana dashboard queries is exported", async () => {
    const exported = await exportedNames();
    const used = dashboardMetricNames();
    expect(used.length).toBeGreaterThan(10);
    expect(used.filter((n) => !exported.has(n))).toEqual([]);
  });

  it("every metric the PrometheusRule alerts on is exported, and the four required alerts exist", async () => {
    const exported = await exportedNames();
    const text = readFileSync(
      path.join(ROOT, "charts/clouddigit-operator/templates/prometheusrule.yaml"),
      "utf8",
    );
    const exprs = [...text.matchAll(/expr: \|\n([\s\S]*?)\n\s+(?:for|labels):/g)].map((m) => m[1] ?? "");
    const used = new Set(exprs.flatMap(metricNamesIn));
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((n) => !exported.has(n))).toEqual([]);
    for (const alert of [
      "CloudDigitReconcileErrors",
      "CloudDigitObjectsStalled",
      "CloudDigitThrottled",
      "CloudDigitTokenRefreshFailures",
    ]) {
      expect(text).toContain(`alert: ${alert}`);
    }
  });

  it("every dashboard query is valid PromQL (Prometheus's grammar), and the check catches a broken one", () => {
    const panels = buildDashboard().panels as Array<{ title: string; targets?: Array<{ expr: string }> }>;
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr] as const));
    expect(exprs.length).toBeGreaterThan(15);
    const broken = exprs.filter(([, e]) => promqlSyntaxErrors(withGrafanaVariables(e)).length > 0);
    expect(broken).toEqual([]);
    expect(promqlSyntaxErrors("sum by (kind (rate(x[5m]))")).not.toEqual([]);
  });

  it("the metric-name scanner finds names and skips PromQL functions", () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le) (rate(workqueue_queue_duration_seconds_bucket{a="b"}[5m])))',
      ),
    ).toEqual(["workqueue_queue_duration_seconds"]);
  });

  it("the checked-in dashboard JSON is the generated one and has unique panel ids", () => {
    const onDisk = JSON.parse(readFileSync(path.join(ROOT, DASHBOARD_FILE), "utf8")) as {
      panels: Array<{ id: number }>;
    };
    expect(onDisk).toEqual(buildDashboard());
    const ids = onDisk.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
