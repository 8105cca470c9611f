/** One API call as the inspection endpoint reports it. */
export interface CallRecord {
  seq: number;
  /** Arrival time, ms since the epoch (sandbox clock). */
  at: number;
  method: string;
  /** The request path without the query string. */
  path: string;
  /** The raw query string without its `?` (empty when there is none). */
  query: string;
  /** The route template, e.g. `/v1/compute/servers/{id}`, or `unmatched`. */
  template: string;
  /** Principal label (never the secret), or null when unauthenticated. */
  token: string | null;
  project: string | null;
  /** HTTP status; 0 when the connection was dropped without an answer. */
  status: number;
  /** Error code of the envelope, when the answer was an error. */
  error_code: string | null;
  /** Retry-After seconds sent, if any. */
  retry_after: number | null;
  /** True when the connection was dropped (before or after handling). */
  dropped: boolean;
  duration_ms: number;
  request_id: string;
}

export interface CallFilter {
  token?: string;
  method?: string;
  template?: string;
  status?: number;
  /** Only calls with `at >= since`. */
  since?: number;
}

export interface CountRow {
  token: string | null;
  method: string;
  template: string;
  status: number;
  count: number;
}

export interface CallCounts {
  total: number;
  by_token: Record<string, number>;
  by_method: Record<string, number>;
  by_template: Record<string, number>;
  by_status: Record<string, number>;
  rows: CountRow[];
}

/**
 * Keeps every call's record (up to `maxRecords`, oldest dropped first) and exact counts by
 * (token, method, template, status) that are never truncated.
 */
export class CallRecorder {
  private records: CallRecord[] = [];
  private readonly counts = new Map<string, CountRow>();
  private seq = 0;

  constructor(private readonly maxRecords: number) {}

  record(call: Omit<CallRecord, "seq">): void {
    const full = call as CallRecord;
    full.seq = ++this.seq;
    if (this.maxRecords > 0) {
      this.records.push(full);
      if (this.records.length > this.maxRecords * 1.25) this.records = this.records.slice(-this.maxRecords);
    }
    const key = `${call.token ?? ""}\u0000${call.method}\u0000${call.template}\u0000${call.status}`;
    const row = this.counts.get(key);
    if (row) row.count += 1;
    else
      this.counts.set(key, {
        token: call.token,
        method: call.method,
        template: call.template,
        status: call.status,
        count: 1,
      });
  }

  calls(filter: CallFilter = {}): CallRecord[] {
    const start = this.records.length > this.maxRecords ? this.records.length - this.maxRecords : 0;
    const out: CallRecord[] = [];
    for (let i = start; i < this.records.length; i++) {
      const c = this.records[i] as CallRecord;
      if (filter.token !== undefined && c.token !== filter.token) continue;
      if (filter.method !== undefined && c.method !== filter.method) continue;
      if (filter.template !== undefined && c.template !== filter.template) continue;
      if (filter.status !== undefined && c.status !== filter.status) continue;
      if (filter.since !== undefined && c.at < filter.since) continue;
      out.push({ ...c });
    }
    return out;
  }

  summary(): CallCounts {
    const out: CallCounts = {
      total: 0,
      by_token: {},
      by_method: {},
      by_template: {},
      by_status: {},
      rows: [],
    };
    const add = (map: Record<string, number>, key: string, n: number): void => {
      map[key] = (map[key] ?? 0) + n;
    };
    for (const row of this.counts.values()) {
      out.total += row.count;
      add(out.by_token, row.token ?? "(none)", row.count);
      add(out.by_method, row.method, row.count);
      add(out.by_template, row.template, row.count);
      add(out.by_status, String(row.status), row.count);
      out.rows.push({ ...row });
    }
    return out;
  }

  reset(): void {
    this.records = [];
    this.counts.clear();
  }
}
