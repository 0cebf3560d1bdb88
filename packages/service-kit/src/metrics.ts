import type { Context, MiddlewareHandler } from "hono";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export interface ServiceMetrics {
  /** The registry every metric of this service belongs to (one per app, never the global one). */
  readonly registry: Registry;
  /** Counts and times every request by method, matched route pattern and status. */
  readonly middleware: MiddlewareHandler;
  /** Hono handler serving the registry in the Prometheus text format (mount at GET /metrics). */
  readonly handler: (c: Context) => Promise<Response>;
}

interface CreateMetricsOptions {
  /** Metric name prefix, e.g. `fileserver_`. */
  prefix: string;
  /** Also collect Node process metrics (event loop lag, heap…); off in tests to keep them quiet. */
  collectDefault?: boolean;
}

export function createMetrics(options: CreateMetricsOptions): ServiceMetrics {
  const registry = new Registry();
  if (options.collectDefault) collectDefaultMetrics({ register: registry, prefix: options.prefix });
  const labelNames = ["method", "route", "status"] as const;
  const requests = new Counter({
    name: `${options.prefix}http_requests_total`,
    help: "HTTP requests handled, by method, route pattern and status",
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: `${options.prefix}http_request_duration_seconds`,
    help: "Time to produce the response head, by method, route pattern and status",
    labelNames,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const middleware: MiddlewareHandler = async (c, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      // routePath is the pattern ("/file/:id"), so ids never become label values.
      const labels = {
        method: c.req.method,
        route: c.req.routePath || "unmatched",
        status: String(c.res.status),
      };
      requests.inc(labels);
      duration.observe(labels, (performance.now() - start) / 1000);
    }
  };
  const handler = async (c: Context) =>
    c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
  return { registry, middleware, handler };
}
