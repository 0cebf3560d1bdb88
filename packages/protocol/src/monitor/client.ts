import type { z } from "zod";
import { type ErrorCode, errorTable, ProtocolError } from "../errors.ts";
import {
  MONITOR_STREAM_PATH,
  MONITOR_SUBSCRIBE_PATH,
  type MonitorCloseEvent,
  type MonitorMessageEvent,
  type MonitorSubscribedEvent,
  type MonitorSubscriptionJson,
  monitorCloseEventSchema,
  monitorMessageEventSchema,
  monitorSubscribedEventSchema,
} from "./schema.ts";

/** One typed event of a monitor stream. */
export type MonitorStreamEvent =
  | { event: "subscribed"; id?: string; data: MonitorSubscribedEvent }
  | { event: "message"; id?: string; data: MonitorMessageEvent }
  | { event: "close"; id?: string; data: MonitorCloseEvent };

const schemas: Record<MonitorStreamEvent["event"], z.ZodType> = {
  subscribed: monitorSubscribedEventSchema,
  message: monitorMessageEventSchema,
  close: monitorCloseEventSchema,
};

/**
 * Reads a monitor SSE body (what `POST /monitor/v1/stream` returns) as typed events, in order.
 * Comment lines (`: keepalive`) go to `onComment`; unknown event names are skipped; an event
 * whose data does not match its schema throws ProtocolError("BAD_GATEWAY").
 */
export async function* readMonitorEvents(
  body: ReadableStream<Uint8Array>,
  opts: { onComment?: (line: string) => void } = {},
): AsyncGenerator<MonitorStreamEvent> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    for (let idx = buf.indexOf("\n\n"); idx >= 0; idx = buf.indexOf("\n\n")) {
      const block = buf.slice(0, idx);
      buf = buf.slice(idx + 2);
      let event = "message";
      let id: string | undefined;
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) opts.onComment?.(line);
        else if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        else if (line.startsWith("id:")) id = line.slice(3).trim();
      }
      if (data.length === 0 || !(event in schemas)) continue;
      let parsed: unknown;
      try {
        parsed = schemas[event as MonitorStreamEvent["event"]].parse(JSON.parse(data.join("\n")));
      } catch (cause) {
        throw new ProtocolError("BAD_GATEWAY", `malformed monitor ${event} event`, undefined, { cause });
      }
      yield { event, data: parsed, ...(id !== undefined ? { id } : {}) } as MonitorStreamEvent;
    }
  }
}

/**
 * Opens a monitor stream on a node (`baseUrl` = scheme://host:port) and returns its events.
 * Non-2xx answers throw a ProtocolError carrying the node's error code when it sent one.
 */
export async function openMonitorStream(
  fetchFn: typeof fetch,
  baseUrl: string,
  subscriptions: readonly MonitorSubscriptionJson[],
  opts: { signal?: AbortSignal; onComment?: (line: string) => void } = {},
): Promise<AsyncGenerator<MonitorStreamEvent>> {
  const res = await fetchFn(`${baseUrl}${MONITOR_STREAM_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ subscriptions }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!res.ok || !res.body) throw await nodeError(res);
  return readMonitorEvents(res.body, opts);
}

/** Adds or renews subscriptions on an open stream; returns the per-subscription results. */
export async function renewMonitorSubscriptions(
  fetchFn: typeof fetch,
  baseUrl: string,
  stream: string,
  subscriptions: readonly MonitorSubscriptionJson[],
  opts: { signal?: AbortSignal } = {},
): Promise<MonitorSubscribedEvent> {
  const res = await fetchFn(`${baseUrl}${MONITOR_SUBSCRIBE_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ stream, subscriptions }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  if (!res.ok) throw await nodeError(res);
  const r = monitorSubscribedEventSchema.safeParse(await res.json().catch(() => undefined));
  if (!r.success) throw new ProtocolError("BAD_GATEWAY", "malformed monitor subscribe answer");
  return r.data;
}

async function nodeError(res: Response): Promise<ProtocolError> {
  const body = (await res.json().catch(() => undefined)) as
    | { error?: { code?: string; message?: string } }
    | undefined;
  const message =
    `monitor request failed: HTTP ${res.status} ${body?.error?.code ?? ""} ${body?.error?.message ?? ""}`.trim();
  // Keep the node's own code when it sent one of ours; anything else is the node misbehaving.
  const own = body?.error?.code;
  const code = own !== undefined && own in errorTable ? (own as ErrorCode) : "BAD_GATEWAY";
  return new ProtocolError(code, message, { status: res.status, body });
}
