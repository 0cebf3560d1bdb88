/** HTTP routes a storage node serves (oxenss/server/https.cpp). */
export const StorageHttpEndpoint = {
  /** POST `{ method, params }` JSON storage RPC. */
  storageRpc: "/storage_rpc/v1",
  /** POST an outer onion layer (`[N][ciphertext]{ephemeral_key, enc_type}`). */
  onionRequest: "/onion_req/v2",
  /** POST reachability test from other nodes. */
  pingTest: "/ping_test/v1",
  /** GET node statistics. */
  stats: "/get_stats/v1",
} as const;
export type StorageHttpEndpoint = (typeof StorageHttpEndpoint)[keyof typeof StorageHttpEndpoint];
