/** One Server-Sent Event as received. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * A minimal SSE reader over fetch (POST with a JSON body, as the monitor API takes): parses
 * `event:`/`data:`/`id:` lines and hands out events in order.
 */
export async function openSse(url: string, body: unknown) {
  const controller = new AbortController();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  const queue: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  let ended = false;
  const comments: string[] = [];
  const pump = async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buf = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let idx = buf.indexOf("\n\n");
        while (idx >= 0) {
          const block = buf.slice(0, idx);
          buf = buf.slice(idx + 2);
          const ev: SseEvent = { event: "message", data: "" };
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) comments.push(line);
            else if (line.startsWith("event: ")) ev.event = line.slice(7);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
            else if (line.startsWith("id: ")) ev.id = line.slice(4);
          }
          if (data.length > 0) {
            ev.data = data.join("\n");
            queue.push(ev);
          }
          idx = buf.indexOf("\n\n");
        }
        for (const w of waiters.splice(0)) w();
      }
    } catch {
      // aborted
    }
    ended = true;
    for (const w of waiters.splice(0)) w();
  };
  void pump();
  return {
    status: res.status,
    headers: res.headers,
    comments,
    get ended() {
      return ended;
    },
    /** The next event, or undefined if none arrives within `ms` (or the stream ended). */
    async next(ms = 2000): Promise<SseEvent | undefined> {
      const deadline = Date.now() + ms;
      while (queue.length === 0 && !ended && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, deadline - Date.now());
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return queue.shift();
    },
    close() {
      controller.abort();
    },
  };
}
