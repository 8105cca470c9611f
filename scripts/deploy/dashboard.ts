// The Grafana dashboard for the operator's metrics (runtime: controller-runtime names; client:
// clouddigit_api_*; controllers: clouddigit_managed_resources and outcomes). Written as JSON by
// scripts/deploy/generate.ts to charts/clouddigit-operator/dashboards/clouddigit-operator.json.

interface Target {
  expr: string;
  legendFormat: string;
}

interface Panel {
  title: string;
  type: "timeseries" | "stat" | "row";
  description?: string;
  unit?: string;
  targets?: Target[];
  w?: number;
  h?: number;
  stack?: boolean;
}

/** Label matchers every query carries (the dashboard's variables). */
const SEL = 'namespace=~"$namespace", job=~"$job"';

const q = (expr: string, legendFormat: string): Target => ({ expr, legendFormat });

const PANELS: Panel[] = [
  { title: "Cloud Digit resources", type: "row" },
  {
    title: "Objects Ready",
    type: "stat",
    description:
      "Managed objects with Ready=True, of all managed objects (from the leader's last reconciles).",
    targets: [
      q(`sum(max by (kind) (clouddigit_managed_resources{${SEL}, state="ready"}))`, "ready"),
      q(`sum(max by (kind) (clouddigit_managed_resources{${SEL}, state="total"}))`, "total"),
    ],
    w: 6,
  },
  {
    title: "Objects not Ready, by kind",
    type: "timeseries",
    targets: [
      q(
        `max by (kind) (clouddigit_managed_resources{${SEL}, state="total"}) - max by (kind) (clouddigit_managed_resources{${SEL}, state="ready"})`,
        "{{kind}}",
      ),
    ],
    w: 9,
  },
  {
    title: "Reconcile outcomes",
    type: "timeseries",
    description:
      "done, waiting (dependency), polling (cloud working), retry (transient), stalled (needs the user), paused.",
    unit: "ops",
    stack: true,
    targets: [
      q(
        `sum by (outcome) (rate(clouddigit_reconcile_outcomes_total{${SEL}}[$__rate_interval]))`,
        "{{outcome}}",
      ),
    ],
    w: 9,
  },
  {
    title: "Drift corrections, out-of-band recreations and resync checks that found a change",
    type: "timeseries",
    targets: [
      q(
        `sum by (kind) (increase(clouddigit_drift_corrections_total{${SEL}}[$__rate_interval]))`,
        "drift {{kind}}",
      ),
      q(
        `sum by (kind) (increase(clouddigit_recreated_resources_total{${SEL}}[$__rate_interval]))`,
        "recreated {{kind}}",
      ),
      q(
        `sum by (kind) (increase(clouddigit_resync_checks_total{result="changed", ${SEL}}[$__rate_interval]))`,
        "resync found a change {{kind}}",
      ),
    ],
    w: 12,
  },
  {
    title: "Leader",
    type: "timeseries",
    description: "1 on the replica holding the Lease; exactly one line should be at 1.",
    targets: [q(`leader_election_master_status{${SEL}}`, "{{pod}}")],
    w: 12,
  },
  { title: "Cloud Digit API", type: "row" },
  {
    title: "Requests by status code",
    type: "timeseries",
    unit: "reqps",
    stack: true,
    targets: [q(`sum by (code) (rate(clouddigit_api_requests_total{${SEL}}[$__rate_interval]))`, "{{code}}")],
    w: 8,
  },
  {
    title: "Throttled (429) share",
    type: "timeseries",
    description: "Budget per token: 60 req/s burst, 30 req/s sustained.",
    unit: "percentunit",
    targets: [
      q(
        `sum(rate(clouddigit_api_throttled_total{${SEL}}[$__rate_interval])) / sum(rate(clouddigit_api_requests_total{${SEL}}[$__rate_interval]))`,
        "429 share",
      ),
    ],
    w: 8,
  },
  {
    title: "Request latency p50 / p99",
    type: "timeseries",
    unit: "s",
    targets: [
      q(
        `histogram_quantile(0.5, sum by (le, service) (rate(clouddigit_api_request_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
        "p50 {{service}}",
      ),
      q(
        `histogram_quantile(0.99, sum by (le, service) (rate(clouddigit_api_request_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
        "p99 {{service}}",
      ),
    ],
    w: 8,
  },
  {
    title: "Rate-limiter wait p99",
    type: "timeseries",
    description: "How long requests waited for the per-token budget before being sent.",
    unit: "s",
    targets: [
      q(
        `histogram_quantile(0.99, sum by (le, priority) (rate(clouddigit_rate_limiter_wait_seconds_bucket{${SEL}}[$__rate_interval])))`,
        "{{priority}}",
      ),
    ],
    w: 12,
  },
  {
    title: "OIDC token refreshes",
    type: "timeseries",
    targets: [
      q(`sum by (result) (increase(clouddigit_token_refresh_total{${SEL}}[$__rate_interval]))`, "{{result}}"),
    ],
    w: 12,
  },
  { title: "Controllers", type: "row" },
  {
    title: "Reconciles by result",
    type: "timeseries",
    unit: "ops",
    stack: true,
    targets: [
      q(
        `sum by (controller, result) (rate(controller_runtime_reconcile_total{${SEL}}[$__rate_interval]))`,
        "{{controller}} {{result}}",
      ),
    ],
    w: 8,
  },
  {
    title: "Reconcile errors",
    type: "timeseries",
    unit: "ops",
    targets: [
      q(
        `sum by (controller) (rate(controller_runtime_reconcile_errors_total{${SEL}}[$__rate_interval]))`,
        "{{controller}}",
      ),
    ],
    w: 8,
  },
  {
    title: "Reconcile time p99",
    type: "timeseries",
    unit: "s",
    targets: [
      q(
        `histogram_quantile(0.99, sum by (le, controller) (rate(controller_runtime_reconcile_time_seconds_bucket{${SEL}}[$__rate_interval])))`,
        "{{controller}}",
      ),
    ],
    w: 8,
  },
  {
    title: "Work queue depth",
    type: "timeseries",
    targets: [q(`sum by (name) (workqueue_depth{${SEL}})`, "{{name}}")],
    w: 8,
  },
  {
    title: "Time in queue p99",
    type: "timeseries",
    unit: "s",
    targets: [
      q(
        `histogram_quantile(0.99, sum by (le, name) (rate(workqueue_queue_duration_seconds_bucket{${SEL}}[$__rate_interval])))`,
        "{{name}}",
      ),
    ],
    w: 8,
  },
  {
    title: "Active workers / max",
    type: "timeseries",
    targets: [
      q(`sum by (controller) (controller_runtime_active_workers{${SEL}})`, "active {{controller}}"),
      q(`max by (controller) (controller_runtime_max_concurrent_reconciles{${SEL}})`, "max {{controller}}"),
    ],
    w: 8,
  },
];

export function buildDashboard(): Record<string, unknown> {
  const datasource = { type: "prometheus", uid: "${datasource}" };
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels = PANELS.map((p, i) => {
    const w = p.type === "row" ? 24 : (p.w ?? 12);
    const h = p.type === "row" ? 1 : (p.h ?? 8);
    if (x + w > 24 || p.type === "row") {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    const gridPos = { x, y, w, h };
    x += w;
    rowHeight = Math.max(rowHeight, h);
    if (p.type === "row")
      return { id: i + 1, type: "row", title: p.title, collapsed: false, gridPos, panels: [] };
    return {
      id: i + 1,
      type: p.type,
      title: p.title,
      ...(p.description ? { description: p.description } : {}),
      datasource,
      gridPos,
      fieldConfig: {
        defaults: {
          unit: p.unit ?? "short",
          ...(p.type === "timeseries" && p.stack ? { custom: { stacking: { mode: "normal" } } } : {}),
        },
        overrides: [],
      },
      options:
        p.type === "stat" ? { reduceOptions: { calcs: ["lastNotNull"] }, textMode: "value_and_name" } : {},
      targets: (p.targets ?? []).map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource,
        expr: t.expr,
        legendFormat: t.legendFormat,
      })),
    };
  });
  const variable = (name: string, label: string, query: string) => ({
    name,
    label,
    type: "query",
    datasource,
    query: { query, refId: name },
    definition: query,
    includeAll: true,
    multi: true,
    current: { selected: true, text: "All", value: "$__all" },
    refresh: 2,
    sort: 1,
  });
  return {
    title: "Cloud Digit operator",
    uid: "clouddigit-operator",
    description: "clouddigit-operator: managed resources, Cloud Digit API budget and controller health.",
    tags: ["clouddigit", "operator", "kubernetes"],
    timezone: "browser",
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        {
          name: "datasource",
          label: "Data source",
          type: "datasource",
          query: "prometheus",
          current: {},
        },
        variable("namespace", "Namespace", "label_values(controller_runtime_reconcile_total, namespace)"),
        variable(
          "job",
          "Job",
          'label_values(controller_runtime_reconcile_total{namespace=~"$namespace"}, job)',
        ),
      ],
    },
    panels,
  };
}

/** Every metric name a query of the dashboard reads (histogram suffixes stripped). */
export function dashboardMetricNames(dashboard = buildDashboard()): string[] {
  const names = new Set<string>();
  for (const panel of dashboard.panels as Array<{ targets?: Array<{ expr: string }> }>) {
    for (const t of panel.targets ?? []) for (const n of metricNamesIn(t.expr)) names.add(n);
  }
  return [...names].sort();
}

const PROMQL_WORDS = new Set([
  "sum",
  "max",
  "min",
  "by",
  "rate",
  "increase",
  "histogram_quantile",
  "le",
  "without",
  "on",
  "avg",
  "count",
]);

/** Metric names in a PromQL expression: identifiers followed by `{` or `[` that are not functions. */
export function metricNamesIn(expr: string): string[] {
  const out = new Set<string>();
  for (const m of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{[]/g)) {
    const name = m[1] ?? "";
    if (PROMQL_WORDS.has(name)) continue;
    out.add(name.replace(/_(bucket|sum|count)$/, ""));
  }
  return [...out];
}
