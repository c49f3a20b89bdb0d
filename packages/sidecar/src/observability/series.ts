/**
 * Counters and histograms for the hot path, exposed through a prom-client Registry. prom-client's own
 * `inc(labels)`/`observe(labels, v)` validate and hash the label object on every call (microseconds per request);
 * here a request finds its series once by a short string key and then only adds to numbers. prom-client renders
 * the text format from `get()` at scrape time, as it does for its own metrics — and is only loaded then, so a
 * sidecar that is never scraped never pays for loading it.
 */

type Labels = Record<string, string>;

interface CounterSeries {
  labels: Labels;
  value: number;
}

interface HistogramSeries {
  labels: Labels;
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** Unbounded label values (raw request paths) would grow the maps without limit; past this, series are shared. */
const MAX_SERIES = 10_000;

/** What a prom-client Registry needs of a metric to render it (`registerMetric`). */
export interface MetricFamily {
  readonly name: string;
  get(): { name: string; help: string; type: string; aggregator: string; values: unknown[] };
}

abstract class Family<S> implements MetricFamily {
  protected readonly series = new Map<string, S>();
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'gauge' | 'histogram';

  constructor(
    readonly name: string,
    readonly help: string,
    families: MetricFamily[],
  ) {
    families.push(this);
  }

  protected abstract create(labels: Labels): S;

  abstract get(): { name: string; help: string; type: string; aggregator: string; values: unknown[] };

  /** The series for `key` (a string that identifies `labels()`), made on first use. */
  at(key: string, labels: () => Labels): S {
    let found = this.series.get(key);
    if (found === undefined) {
      if (this.series.size >= MAX_SERIES) key = '\u0000overflow';
      found = this.series.get(key) ?? this.create(this.series.size >= MAX_SERIES ? { overflow: 'true' } : labels());
      this.series.set(key, found);
    }
    return found;
  }
}

/** One number per series (counters and gauges render alike). */
abstract class ValueFamily extends Family<CounterSeries> {
  protected create(labels: Labels): CounterSeries {
    return { labels, value: 0 };
  }

  get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value })),
    };
  }
}

export class CounterFamily extends ValueFamily {
  readonly type = 'counter';

  /** +1 on the series `key` (a rare event: no pairing with a histogram). */
  inc(key: string, labels: () => Labels): void {
    this.at(key, labels).value++;
  }
}

/** A gauge: the last value set per series. */
export class GaugeFamily extends ValueFamily {
  readonly type = 'gauge';

  set(key: string, labels: () => Labels, value: number): void {
    this.at(key, labels).value = value;
  }
}

export class HistogramFamily extends Family<HistogramSeries> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    families: MetricFamily[],
    private readonly bounds: readonly number[],
  ) {
    super(name, help, families);
  }

  protected create(labels: Labels): HistogramSeries {
    return { labels, buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
  }

  observe(series: HistogramSeries, value: number): void {
    const bounds = this.bounds;
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (value <= bounds[mid]!) hi = mid;
      else lo = mid + 1;
    }
    series.buckets[lo]!++;
    series.sum += value;
    series.count++;
  }

  get() {
    const values: { labels: Labels; value: number; metricName: string }[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += s.buckets[i]!;
        const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
        values.push({ labels: { ...s.labels, le: String(le) }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

/** A counter and a histogram with one label set (daprd records most things as `<x>_count` + `<x>_latencies`). */
export class TimedFamily {
  private readonly pairs = new Map<string, { count: CounterSeries; latency: HistogramSeries; extra?: CounterSeries }>();

  constructor(
    private readonly count: CounterFamily,
    private readonly latency: HistogramFamily,
    /** Recorded with the same labels (daprd's http/server/response_count). */
    private readonly extra?: CounterFamily,
  ) {}

  /** One event: +1 on the counter(s), and `ms` on the histogram unless `ms` is 0 (daprd skips 0 elapsed). */
  record(key: string, labels: () => Labels, ms: number): void {
    let pair = this.pairs.get(key);
    if (pair === undefined) {
      const made = labels();
      pair = { count: this.count.at(key, () => made), latency: this.latency.at(key, () => made) };
      if (this.extra) pair.extra = this.extra.at(key, () => made);
      if (this.pairs.size < MAX_SERIES) this.pairs.set(key, pair);
    }
    pair.count.value++;
    if (pair.extra) pair.extra.value++;
    if (ms > 0) this.latency.observe(pair.latency, ms);
  }
}
