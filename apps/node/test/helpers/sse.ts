import { type MonitorStreamEvent, readMonitorEvents } from "@session/protocol/monitor";

/**
 * Opens a monitor stream with a raw fetch (so tests see status and headers) and reads it with
 * the package's own typed reader; `next(ms)` waits for the next event or gives up.
 */
export async function openSse(url: string, body: unknown) {
  const controller = new AbortController();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  const comments: string[] = [];
  const queue: MonitorStreamEvent[] = [];
  const waiters: (() => void)[] = [];
  let ended = false;
  const wakeAll = () => {
    for (const w of waiters.splice(0)) w();
  };
  void (async () => {
    try {
      if (res.body) {
        for await (const ev of readMonitorEvents(res.body, { onComment: (c) => comments.push(c) })) {
          queue.push(ev);
          wakeAll();
        }
      }
    } catch {
      // aborted by close()
    }
    ended = true;
    wakeAll();
  })();
  return {
    status: res.status,
    headers: res.headers,
    comments,
    /** The next event, or undefined if none arrives within `ms` (or the stream ended). */
    async next(ms = 2000): Promise<MonitorStreamEvent | undefined> {
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
