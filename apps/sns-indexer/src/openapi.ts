const errorRef = { $ref: "#/components/schemas/Error" };
const json = (schema: object) => ({ content: { "application/json": { schema } } });

/** OpenAPI 3.1 description of the read API (served at /openapi.json). */
export const openApiDocument = {
  openapi: "3.1.0",
  info: {
    title: "Session SNS indexer",
    version: "0.1.0",
    description:
      "Node list (with swarm assignment) and Session Name Service records, indexed from the staking and naming contracts. Responses carry ETags; send If-None-Match to get 304.",
  },
  paths: {
    "/v1/nodes": {
      get: {
        summary: "Active nodes with keys, endpoint and swarm",
        responses: {
          "200": json({
            type: "object",
            required: ["height", "nodes"],
            properties: {
              height: { type: "integer", description: "Last indexed block" },
              nodes: { type: "array", items: { $ref: "#/components/schemas/NodeInfo" } },
            },
          }),
          "304": { description: "Not modified (ETag matched)" },
        },
      },
    },
    "/v1/nodes/{id}": {
      get: {
        summary: "One node: status, stakes and contributors",
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer", minimum: 1 } }],
        responses: { "200": json({ type: "object" }), "400": json(errorRef), "404": json(errorRef) },
      },
    },
    "/v1/names/{nameHash}": {
      get: {
        summary:
          "A live name's encrypted record (decrypt it with the name: packages/crypto decryptNameRecord)",
        parameters: [
          {
            name: "nameHash",
            in: "path",
            required: true,
            schema: { type: "string", pattern: "^0x[0-9a-fA-F]{64}$" },
          },
        ],
        responses: {
          "200": json({
            type: "object",
            properties: {
              nameHash: { type: "string" },
              owner: { type: "string" },
              expiry: { type: "integer" },
              length: { type: "integer" },
              encryptedRecord: { type: "string" },
            },
          }),
          "400": json(errorRef),
          "404": json(errorRef),
        },
      },
    },
    "/v1/stats": {
      get: {
        summary: "Indexing progress and contract totals",
        responses: { "200": json({ type: "object" }) },
      },
    },
    "/v1/events": {
      get: {
        summary: "The stored contract events in chain order, paginated",
        parameters: [
          {
            name: "after",
            in: "query",
            required: false,
            description: "`<block>-<logIndex>`: the `next` of the previous page",
            schema: { type: "string", pattern: "^\\d+-\\d+$" },
          },
          {
            name: "limit",
            in: "query",
            required: false,
            schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
          },
        ],
        responses: {
          "200": json({
            type: "object",
            required: ["events", "next"],
            properties: {
              events: { type: "array", items: { type: "object" } },
              next: { type: ["string", "null"], description: "null on the last page" },
            },
          }),
          "400": json(errorRef),
          "503": json(errorRef),
        },
      },
    },
    "/health": {
      get: {
        summary: "Liveness and conditions (chain_rpc, database, disk_full); 200 while the API serves",
        responses: { "200": json({ type: "object", required: ["ok", "status", "conditions"] }) },
      },
    },
    "/metrics": {
      get: { summary: "Prometheus metrics", responses: { "200": { description: "text/plain" } } },
    },
  },
  components: {
    schemas: {
      NodeInfo: {
        type: "object",
        required: ["pubkey_ed25519", "pubkey_x25519", "public_ip", "storage_port", "swarm_id"],
        properties: {
          pubkey_ed25519: { type: "string" },
          pubkey_x25519: { type: "string" },
          public_ip: { type: "string" },
          storage_port: { type: "integer" },
          swarm_id: { type: "string", description: "u64 swarm id as a decimal string" },
          active: { type: "boolean" },
        },
      },
      Error: {
        type: "object",
        properties: {
          error: { type: "object", properties: { code: { type: "string" }, message: { type: "string" } } },
        },
      },
    },
  },
} as const;
