import type { Registry } from 'prom-client';

/**
 * Counters and histograms for the per-request hot path, exposed through prom-client's
 * registry (which only needs `get()` to return a MetricObject). Why not prom-client's
 * own: every `observe`/`inc`, even on a cached labelled child, re-validates and hashes
 * its labels (~1-2 µs each, several per request; measured in bench/proxy.ts). Here a
 * series is created once per label tuple and an update is an add into a typed array.
 *
 * Histogram buckets are stored non-cumulatively and summed at scrape time:
 *   bucket{le=b_i} = sum_{j<=i} n_j,  bucket{le=+Inf} = count.
 */

interface Value {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

export interface HistogramSeries {
  readonly labels: Record<string, string>;
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export interface CounterSeries {
  readonly labels: Record<string, string>;
  value: number;
}

abstract class FastMetric<S> {
  readonly aggregator = 'sum';
  protected readonly series = new Map<string, S>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  protected abstract make(labels: Record<string, string>): S;

  /** The series for these label values (in labelNames order); create it on first use. */
  child(...values: string[]): S {
    const key = values.length === 1 ? values[0]! : values.join('\u0000');
    let s = this.series.get(key);
    if (s === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      this.series.set(key, (s = this.make(labels)));
    }
    return s;
  }

  /** Two-label series by value, so the hot path builds no key string (child's join) per update. */
  private readonly pairs = new Map<string, Map<string, S>>();

  /** child(a, b), looked up without allocating. */
  pair(a: string, b: string): S {
    let inner = this.pairs.get(a);
    if (inner === undefined) this.pairs.set(a, (inner = new Map()));
    let s = inner.get(b);
    if (s === undefined) inner.set(b, (s = this.child(a, b)));
    return s;
  }

  reset(): void {
    this.series.clear();
    this.pairs.clear();
  }
}

export class FastCounter extends FastMetric<CounterSeries> {
  readonly type = 'counter';
  protected make(labels: Record<string, string>): CounterSeries {
    return { labels, value: 0 };
  }
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Value[] }> {
    const values: Value[] = [];
    for (const s of this.series.values()) values.push({ value: s.value, labels: s.labels });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class FastHistogram extends FastMetric<HistogramSeries> {
  readonly type = 'histogram';
  constructor(name: string, help: string, labelNames: readonly string[], readonly buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }
  protected make(labels: Record<string, string>): HistogramSeries {
    return { labels, counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
  }
  /** Record one value (a linear scan: ~16 bounds, most values land in the first few). */
  observe(s: HistogramSeries, v: number): void {
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        s.counts[i]!++;
        break;
      }
    }
    s.sum += v;
    s.count++;
  }
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Value[] }> {
    const values: Value[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const s of this.series.values()) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({ value: acc, labels: { le, ...s.labels }, metricName: bucketName });
      });
      values.push({ value: s.count, labels: { le: '+Inf', ...s.labels }, metricName: bucketName });
      values.push({ value: s.sum, labels: s.labels, metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels: s.labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
