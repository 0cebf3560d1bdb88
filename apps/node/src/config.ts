import { envInt, type ServiceSettings, serviceEnvSchema, serviceSettingsFromEnv } from "@session/service-kit";
import { z } from "zod";
import type { OnionServerPolicy } from "./onion/server-destination.ts";
import type { ReplicationPage } from "./replication/sync.ts";

const flagValues = z.enum(["1", "0", "true", "false", "yes", "no", ""]);
const isOn = (v: string | undefined) => v === "1" || v === "true" || v === "yes";
/** A switch that is off unless set. */
const flag = flagValues.optional().transform(isOn);

/** Environment variables of a storage node (see README). */
export const nodeEnvSchema = serviceEnvSchema(
  {
    SESSION_NODE_DATA_DIR: z.string().default("./data/node"),
    HOST: z.string().default("127.0.0.1"),
    PORT: envInt(22021),
    PUBLIC_IP: z.string().default("127.0.0.1"),
    /** Port other nodes and clients reach; defaults to PORT. */
    PUBLIC_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    /** Plain HTTP instead of HTTPS (loopback devnets only). */
    SESSION_NODE_HTTP: flag,
    REGISTRY_FILE: z.string().optional(),
    /** sns-indexer base URL; the node polls `<url>/v1/nodes`. */
    REGISTRY_URL: z.string().url().optional(),
    REGISTRY_POLL_MS: envInt(5000, 100),
    SWEEP_INTERVAL_MS: envInt(10_000, 100),
    /** How often a node pulls its swarm peers' tombstones (deletes it may have missed). */
    TOMBSTONE_PULL_MS: envInt(30_000, 100),
    MAX_BODY_BYTES: envInt(10 * 1024 * 1024, 1024),
    RATE_LIMIT_PER_SECOND: envInt(200, 1),
    RATE_LIMIT_BURST: envInt(400, 1),
    /** Onion relays to other nodes over persistent node links (default on; 0 = one HTTP request each). */
    NODE_LINKS: z
      .enum(["1", "0", "true", "false", "yes", "no"])
      .default("1")
      .transform((v) => v === "1" || v === "true" || v === "yes"),
    /** Ports a final onion hop may connect to (comma-separated). */
    ONION_SERVER_PORTS: z
      .string()
      .default("443,80")
      .transform((v, ctx) => {
        const ports = v.split(",").map((p) => Number(p.trim()));
        if (ports.length === 0 || !ports.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535)) {
          ctx.addIssue({ code: "custom", message: "ports 1-65535, comma-separated" });
          return z.NEVER;
        }
        return ports;
      }),
    /** Let final onion hops reach loopback/private/link-local addresses: loopback devnets only. */
    ONION_ALLOW_PRIVATE_SERVERS: flag,
    /** Monitor streams one remote address may hold open (the push server holds one per node). */
    MONITOR_STREAMS_PER_ADDRESS: envInt(16, 1),
    /**
     * Processes serving the public port (README "Using every core"): a count, or `auto` for every
     * core. Default `auto`: one node on a machine of its own; hosts that run several nodes (the
     * devnet, compose) pin 1.
     */
    SESSION_NODE_WORKERS: z
      .union([z.literal("auto"), z.coerce.number().int().min(1).max(256)])
      .default("auto"),
    /** Check request signatures on a thread of their own (off: no faster, README "Work on a crypto thread"). */
    SESSION_NODE_VERIFY_THREAD: flag,
    /** Also open onion layers' X25519 on that thread (off: measured slower, README). */
    SESSION_NODE_ONION_THREAD: flag,
  },
  {
    check: (e, ctx) => {
      if (!(e.REGISTRY_FILE || e.REGISTRY_URL))
        ctx.addIssue({
          code: "custom",
          message: "set REGISTRY_FILE (static registry JSON) or REGISTRY_URL (sns-indexer)",
          path: ["REGISTRY_FILE"],
        });
    },
  },
);

export interface NodeConfig extends ServiceSettings {
  dataDir: string;
  host: string;
  port: number;
  publicIp: string;
  publicPort?: number | undefined;
  http: boolean;
  registry: { file?: string | undefined; url?: string | undefined; pollMs: number };
  sweepIntervalMs: number;
  /** How often swarm peers' tombstones are pulled (default 30 s; src/replication/tombstones.ts). */
  tombstonePullMs?: number | undefined;
  maxBodyBytes: number;
  rateLimit: { perSecond: number; burst: number };
  /** Size of one catch-up or rebalancing request (default DEFAULT_REPLICATION_PAGE; tests make it small). */
  replicationPage?: ReplicationPage | undefined;
  /**
   * HTTP(S) servers final onion hops may reach; default public addresses on ports 443 and 80.
   * `allowPrivateAddresses` is for loopback devnets, `allowedPorts: "any"` for tests only.
   */
  onionServers?: OnionServerPolicy | undefined;
  /** Monitor streams one remote address may hold open (default 16). */
  monitorStreamsPerAddress?: number | undefined;
  /** Relay onion requests to other nodes over node links (src/onion/node-link.ts); default true. */
  nodeLinks?: boolean | undefined;
  /** Worker processes for `startNodeCluster` (`auto`: every core; default 1); `startNode` ignores it. */
  workers?: number | "auto" | undefined;
  /**
   * A single-process node (`startNode`) checks the request signatures of busy turns on a thread of
   * its own (src/crypto-thread.ts); default false: measured no faster beside oxenss (README "Work
   * on a crypto thread"; env SESSION_NODE_VERIFY_THREAD). Cluster workers check on their event loops.
   */
  verifyThread?: boolean | undefined;
  /** Also compute onion layers' X25519 on that thread (default false; README). */
  onionThread?: boolean | undefined;
}

export function configFromEnv(env: z.output<typeof nodeEnvSchema>): NodeConfig {
  return {
    dataDir: env.SESSION_NODE_DATA_DIR,
    host: env.HOST,
    port: env.PORT,
    publicIp: env.PUBLIC_IP,
    publicPort: env.PUBLIC_PORT,
    http: env.SESSION_NODE_HTTP,
    registry: { file: env.REGISTRY_FILE, url: env.REGISTRY_URL, pollMs: env.REGISTRY_POLL_MS },
    sweepIntervalMs: env.SWEEP_INTERVAL_MS,
    tombstonePullMs: env.TOMBSTONE_PULL_MS,
    maxBodyBytes: env.MAX_BODY_BYTES,
    rateLimit: { perSecond: env.RATE_LIMIT_PER_SECOND, burst: env.RATE_LIMIT_BURST },
    nodeLinks: env.NODE_LINKS,
    monitorStreamsPerAddress: env.MONITOR_STREAMS_PER_ADDRESS,
    onionServers: {
      allowPrivateAddresses: env.ONION_ALLOW_PRIVATE_SERVERS,
      allowedPorts: env.ONION_SERVER_PORTS,
    },
    workers: env.SESSION_NODE_WORKERS,
    verifyThread: env.SESSION_NODE_VERIFY_THREAD,
    onionThread: env.SESSION_NODE_ONION_THREAD,
    ...serviceSettingsFromEnv(env),
  };
}
