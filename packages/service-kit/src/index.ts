// Serving: configuration, listeners, shutdown, server keys

export {
  ConfigError,
  databaseEnv,
  envFlag,
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
export { envInt, type ServiceSettings, serviceEnvSchema, serviceSettingsFromEnv } from "./service-env.ts";

// Operator command lines

export { booleanOptions, stringOptions } from "./cli-options.ts";

// HTTP: error answers, body and connection limits, rate limits

export { chunksWithin, closeAfter, limitBody, readBodyLimited } from "./body-limit.ts";
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
  onErrorHandler,
} from "./errors.ts";
export { rateLimit, TokenBuckets } from "./rate-limit.ts";
export { RecentMap } from "./recent-map.ts";

// Onion: the v4 endpoint and hop a service exposes

export { decryptFromClient, encryptToClient, type HopServer, hopServer, openHopReply } from "./hop.ts";
export {
  dispatchV4,
  type EncType,
  isOnionRequest,
  ONION_ENV_KEY,
  onionV4Handler,
  type X25519Keys,
} from "./onion.ts";

// Background work: one run at a time, periodic tasks

export { runPeriodically } from "./periodic.ts";
export { SingleFlight } from "./single-flight.ts";

// Faults and retries

export { backoffMs } from "./backoff.ts";
export {
  type DatabaseStore,
  FaultMonitor,
  faultError,
  faultOf,
  isDiskFull,
  monitoredStore,
  type OperationKinds,
  operationKinds,
} from "./faults.ts";

// Observability: logs and metrics

export { isClientGone, serializeErrorForLog } from "./error-log.ts";
export {
  createLogger,
  type Logger,
  requestLogger,
} from "./logger.ts";
export { createMetrics, type ServiceMetrics } from "./metrics.ts";

// Storage

export { postgresPool, preparePostgres } from "./postgres.ts";
