import { readFileSync } from "node:fs";
import {
  type ConnectionLimits,
  checkConnectionLimitsEnv,
  connectionLimitsEnv,
  connectionLimitsFromEnv,
  logLevelEnv,
} from "@session/service-kit";
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address");
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

export const envSchema = z
  .object({
    SNS_RPC_URL: z.string().url("expected the chain's JSON-RPC URL"),
    /** contracts/deployments/<network>.json; or give the addresses and start block below. */
    SNS_DEPLOYMENT_FILE: z.string().optional(),
    SNS_REGISTRY_ADDRESS: address.optional(),
    SNS_NAMES_ADDRESS: address.optional(),
    // No default: without it the deployment file's block is the start.
    SNS_START_BLOCK: z.coerce.number().int().min(0).optional(),
    DATABASE_URL: z.string().default("sqlite:./data/sns-indexer.sqlite"),
    SNS_CONFIRMATIONS: int(2),
    SNS_BATCH_SIZE: int(2000, 1),
    /** Backfill spans grow over empty ranges up to this (and halve when the provider refuses one). */
    SNS_MAX_BATCH_SIZE: int(100_000, 1),
    SNS_REORG_DEPTH: int(64, 1),
    SNS_POLL_MS: int(1000, 50),
    /** Per chain JSON-RPC call, from sending to the end of the answer. */
    SNS_RPC_TIMEOUT_MS: int(10_000, 100),
    HOST: z.string().default("127.0.0.1"),
    PORT: int(8090),
    ...logLevelEnv,
    ...connectionLimitsEnv(),
  })
  .refine((e) => e.SNS_DEPLOYMENT_FILE || (e.SNS_REGISTRY_ADDRESS && e.SNS_NAMES_ADDRESS), {
    message: "set SNS_DEPLOYMENT_FILE, or both SNS_REGISTRY_ADDRESS and SNS_NAMES_ADDRESS",
    path: ["SNS_DEPLOYMENT_FILE"],
  })
  .superRefine(checkConnectionLimitsEnv);
export type Env = z.output<typeof envSchema>;

export interface IndexerConfig {
  rpcUrl: string;
  addresses: { registry: string; names: string };
  startBlock: number;
  databaseUrl: string;
  confirmations: number;
  batchSize: number;
  /** Largest eth_getLogs span (adaptive; default batchSize). */
  maxBatchSize?: number;
  reorgDepth: number;
  pollMs: number;
  /** Per chain JSON-RPC call (default 10 s). */
  rpcTimeoutMs?: number;
  /** Longest wait between failed syncs (default 30 s; doubles from pollMs per failure). */
  maxBackoffMs?: number;
  host: string;
  port: number;
  logLevel: string;
  /** HTTP timeouts and per-address connection cap (service-kit's defaults when absent). */
  connections?: ConnectionLimits;
}

const deploymentSchema = z.object({
  serviceNodeRegistry: address,
  sessionNameService: address,
  deploymentBlock: z.number().int().nonnegative().default(0),
});

export function configFromEnv(env: Env): IndexerConfig {
  let registry = env.SNS_REGISTRY_ADDRESS;
  let names = env.SNS_NAMES_ADDRESS;
  let startBlock = env.SNS_START_BLOCK ?? 0;
  if (env.SNS_DEPLOYMENT_FILE) {
    const d = deploymentSchema.parse(JSON.parse(readFileSync(env.SNS_DEPLOYMENT_FILE, "utf8")));
    registry ??= d.serviceNodeRegistry;
    names ??= d.sessionNameService;
    startBlock = env.SNS_START_BLOCK ?? d.deploymentBlock;
  }
  return {
    rpcUrl: env.SNS_RPC_URL,
    addresses: { registry: registry!, names: names! },
    startBlock,
    databaseUrl: env.DATABASE_URL,
    confirmations: env.SNS_CONFIRMATIONS,
    batchSize: env.SNS_BATCH_SIZE,
    maxBatchSize: Math.max(env.SNS_BATCH_SIZE, env.SNS_MAX_BATCH_SIZE),
    reorgDepth: env.SNS_REORG_DEPTH,
    pollMs: env.SNS_POLL_MS,
    rpcTimeoutMs: env.SNS_RPC_TIMEOUT_MS,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    connections: connectionLimitsFromEnv(env),
  };
}
