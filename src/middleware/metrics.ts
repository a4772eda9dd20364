/** What one request leaves in Workers Analytics Engine (see "Metrics" in the README). */
export interface RequestSample {
  method: string;
  /** The answering route's pattern (`/api/v1/items/:id`), never the raw path. */
  route: string;
  status: number;
  durationMs: number;
  database: { trips: number; ms: number };
  cache: { hits: number; misses: number };
}

/**
 * Writes one data point for a request: blobs `route`, `method`, status class (`2xx`…);
 * doubles `1` (the count, so `SUM(_sample_interval * double1)` counts requests), duration,
 * status, database time, database round trips, cache hits, cache misses; the route as index
 * (Analytics Engine samples per index). Without the binding it writes nothing.
 *
 * @example
 * writeRequestMetrics(c.env.METRICS, { method: 'GET', route: '/api/v1/health', status: 200, … });
 */
export function writeRequestMetrics(
  dataset: AnalyticsEngineDataset | undefined,
  sample: RequestSample,
): void {
  if (!dataset) return;
  dataset.writeDataPoint({
    indexes: [sample.route],
    blobs: [sample.route, sample.method, `${Math.floor(sample.status / 100)}xx`],
    doubles: [
      1,
      sample.durationMs,
      sample.status,
      sample.database.ms,
      sample.database.trips,
      sample.cache.hits,
      sample.cache.misses,
    ],
  });
}
