import type { NodeConfig } from "./config.ts";

/**
 * A node config for tests and benchmarks on loopback: plain HTTP, port 0, silent logs, slow
 * registry polling and sweeps, and final onion hops that may reach loopback servers on any port
 * (test servers listen on port 0). `extra` overrides any field (a registry file, rate limits, …).
 */
export function loopbackNodeConfig(dataDir: string, extra: Partial<NodeConfig> = {}): NodeConfig {
  return {
    dataDir,
    host: "127.0.0.1",
    port: 0,
    publicIp: "127.0.0.1",
    http: true,
    registry: { pollMs: 60_000 },
    sweepIntervalMs: 60_000,
    maxBodyBytes: 10 * 1024 * 1024,
    rateLimit: { perSecond: 1000, burst: 2000 },
    logLevel: "silent",
    onionServers: { allowPrivateAddresses: true, allowedPorts: "any" },
    ...extra,
  };
}
