import { readFileSync } from "node:fs";
import { envInt, type ServiceSettings, serviceEnvSchema, serviceSettingsFromEnv } from "@session/service-kit";
import { z } from "zod";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "expected a 0x-prefixed 20-byte address");

export const envSchema = serviceEnvSchema(
  {
    SNS_RPC_URL: z.string().url("expected the chain's JSON-RPC URL"),
    /** contracts/deployments/<network>.json; or give the addresses and start block below. */
    SNS_DEPLOYMENT_FILE: z.string().optional(),
    SNS_REGISTRY_ADDRESS: address.optional(),
    SNS_NAMES_ADDRESS: address.optional(),
    // No default: without it the deployment file's block is the start.
    SNS_START_BLOCK: z.coerce.number().int().min(0).optional(),
    DATABASE_URL: z.string().default("sqlite:./data/sns-indexer.sqlite"),
    SNS_CONFIRMATIONS: envInt(2),
    SNS_BATCH_SIZE: envInt(2000, 1),
    /** Backfill spans grow over empty ranges up to this (and halve when the provider refuses one). */
    SNS_MAX_BATCH_SIZE: envInt(100_000, 1),
    SNS_REORG_DEPTH: envInt(64, 1),
    SNS_POLL_MS: envInt(1000, 50),
    /** Per chain JSON-RPC call, from sending to the end of the answer. */
    SNS_RPC_TIMEOUT_MS: envInt(10_000, 100),
    HOST: z.string().default("127.0.0.1"),
    PORT: envInt(8090),
  },
  {
    check: (e, ctx) => {
      if (!(e.SNS_DEPLOYMENT_FILE || (e.SNS_REGISTRY_ADDRESS && e.SNS_NAMES_ADDRESS)))
        ctx.addIssue({
          code: "custom",
          message: "set SNS_DEPLOYMENT_FILE, or both SNS_REGISTRY_ADDRESS and SNS_NAMES_ADDRESS",
          path: ["SNS_DEPLOYMENT_FILE"],
        });
    },
  },
);
export type Env = z.output<typeof envSchema>;

export interface IndexerConfig extends ServiceSettings {
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
    ...serviceSettingsFromEnv(env),
  };
}
