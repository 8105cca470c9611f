// PromQL syntax check with Prometheus's own grammar (the lezer parser its web UI uses), for the
// dashboard's queries and the chart's alert expressions.
import { parser } from "@prometheus-io/lezer-promql";

/** Positions and snippets where the expression does not parse; empty when it is valid PromQL. */
export function promqlSyntaxErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError)
        errors.push(`at ${node.from}: "${expr.slice(Math.max(0, node.from - 15), node.to + 15)}"`);
    },
  });
  return errors;
}

/** Grafana replaces its interval variables before a query reaches Prometheus. */
export function withGrafanaVariables(expr: string): string {
  return expr.replaceAll("$__rate_interval", "5m").replaceAll("$__interval", "1m");
}
