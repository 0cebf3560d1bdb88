// Serving: configuration, listeners, shutdown, server keys

export {
  ConfigError,
  databaseEnv,
  envFlag,
  type LoadConfigOptions,
  loadConfig,
  logLevelEnv,
} from "./config.ts";
export { gracefulCloser } from "./graceful-close.ts";
export {
  DEFAULT_GRACE_MS,
  exitOnSignals,
  type RunningServer,
  type StartServerOptions,
  startServer,
} from "./serve.ts";
export { type ServeServiceOptions, serveService } from "./serve-service.ts";
export { loadServerKeys } from "./server-keys.ts";

// HTTP: error answers, body and connection limits, rate limits

export { chunksWithin, closeAfter, type LimitBodyOptions, limitBody, readBodyLimited } from "./body-limit.ts";
export {
  type ConnectionLimits,
  capConnectionsPerAddress,
  checkConnectionLimitsEnv,
  closeAfterUnreadBody,
  connectionLimitsEnv,
  connectionLimitsFromEnv,
  connectionServerOptions,
  DEFAULT_CONNECTION_LIMITS,
} from "./connection-limits.ts";
export {
  errorBody,
  errorResponse,
  errorToResponseParts,
  notFoundHandler,
  type OnErrorOptions,
  onErrorHandler,
} from "./errors.ts";
export { rateLimit, type TokenBucketOptions, TokenBuckets } from "./rate-limit.ts";

// Onion: the v4 endpoint and hop a service exposes

export { decryptFromClient, encryptToClient, type HopServer, hopServer, openHopReply } from "./hop.ts";
export {
  dispatchV4,
  type EncType,
  isOnionRequest,
  ONION_ENV_KEY,
  type OnionRequestInfo,
  type OnionV4Options,
  onionV4Handler,
  type X25519Keys,
} from "./onion.ts";

// Background work: one run at a time, periodic tasks

export { type PeriodicTask, runPeriodically } from "./periodic.ts";
export { SingleFlight } from "./single-flight.ts";

// Faults and retries

export { type BackoffOptions, backoffMs } from "./backoff.ts";
export {
  type DatabaseStore,
  type FaultCondition,
  FaultMonitor,
  type FaultMonitorOptions,
  faultError,
  faultOf,
  type HealthReport,
  isConnectionLost,
  isDiskFull,
  monitoredStore,
  type OperationKind,
  type OperationKinds,
  operationKinds,
} from "./faults.ts";

// Observability: logs and metrics

export { isClientGone, type LoggedError, serializeErrorForLog } from "./error-log.ts";
export {
  type CreateLoggerOptions,
  createLogger,
  type Logger,
  REDACTED_FIELDS,
  requestLogger,
} from "./logger.ts";
export { type CreateMetricsOptions, createMetrics, type ServiceMetrics } from "./metrics.ts";

// Storage

export { type PostgresPoolOptions, postgresPool, preparePostgres } from "./postgres.ts";
