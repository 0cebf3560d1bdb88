import { z } from "zod";
import { parseWith } from "./parse-params.ts";

/**
 * `oxend_request`: a whitelisted read-only call forwarded to the node's chain daemon. The real
 * server allows `get_service_nodes` and `ons_resolve`; in this network the equivalent data comes
 * from the registry (sns-indexer), served in the same shape.
 */
export const OXEND_ENDPOINTS = ["get_service_nodes", "ons_resolve"] as const;
export type OxendEndpoint = (typeof OXEND_ENDPOINTS)[number];

export interface OxendRequestParams {
  endpoint: OxendEndpoint;
  params?: Record<string, unknown>;
}

export const oxendRequestParamsSchema = z
  .object({
    endpoint: z.string({ error: "Required field 'endpoint' missing" }),
    params: z.record(z.string(), z.unknown()).nullable().optional(),
  })
  .transform((v, ctx): OxendRequestParams => {
    if (!(OXEND_ENDPOINTS as readonly string[]).includes(v.endpoint)) {
      ctx.addIssue({ code: "custom", path: ["endpoint"], message: `Invalid oxend endpoint '${v.endpoint}'` });
    }
    const out: OxendRequestParams = { endpoint: v.endpoint as OxendEndpoint };
    if (v.params) out.params = v.params;
    return out;
  });
export type OxendRequestParamsJson = z.input<typeof oxendRequestParamsSchema>;

export function parseOxendRequestParams(params: unknown): OxendRequestParams {
  return parseWith(oxendRequestParamsSchema, params);
}

/** `get_service_nodes` params as Session clients send them: a list of wanted fields and an optional limit. */
export const getServiceNodesParamsSchema = z.object({
  active_only: z.boolean().optional(),
  limit: z.number().int().optional(),
  fields: z.record(z.string(), z.boolean()).optional(),
});
export type GetServiceNodesParams = z.infer<typeof getServiceNodesParamsSchema>;
