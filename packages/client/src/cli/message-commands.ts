// `session send` and `session listen`: one message (text, an attachment, a disappearing timer)
// through an onion path, and printing what arrives (saving attachments) until stopped.
import { basename, join } from "node:path";
import { fromPointer } from "../attachments.ts";
import type { SessionClient } from "../client.ts";
import { ClientError } from "../errors.ts";
import { loadIdentity } from "../identity.ts";
import { sessionIdArg } from "../state/conversations.ts";
import { messageLine } from "./conversations.ts";
import { disappearOption, readAttachmentFile, saveUnique } from "./files.ts";

/** What a command needs from the CLI around it: where the account lives, output, a connected client. */
export interface CommandIo {
  dataDir: string;
  /** A result line (stdout). */
  out(line: string): void;
  /** A progress line (stderr). */
  progress(line: string): void;
  /** A client joined to the network (the caller closes it). */
  client(): Promise<SessionClient>;
}

/** `session send <to> <text> [--file] [--disappear <s> [--after-read]]`. */
export async function sendCommand(
  io: CommandIo,
  to: string | undefined,
  text: string,
  opts: { file?: string | undefined; disappear?: string | undefined; afterRead?: boolean | undefined },
): Promise<void> {
  if (!to || (!text && !opts.file)) {
    throw new ClientError(
      "BAD_ARGUMENT",
      "usage: session send <SessionID|name> <text> [--file <path>] [--disappear <s> [--after-read]]",
    );
  }
  // Everything is checked before anything is uploaded or sent.
  const disappear = disappearOption(opts.disappear, opts.afterRead ?? false);
  const file = opts.file ? readAttachmentFile(opts.file) : undefined;
  loadIdentity(io.dataDir);
  if (/^[0-9a-fA-F]{66}$/.test(to)) sessionIdArg(to);
  const c = await io.client();
  try {
    const recipient = await c.resolveRecipient(to);
    const sendOpts = disappear ? { disappear } : {};
    if (file) {
      const steps = { encrypting: 1, uploading: 2, done: 3 } as const;
      const ref = await c.attachments.upload(file.bytes, { fileName: file.fileName }, (stage) => {
        const n = steps[stage];
        io.progress(
          `[${"#".repeat(n * 6).padEnd(18, "-")}] ${stage}${stage === "uploading" ? ` ${file.bytes.length} bytes through a 3-hop onion path` : ""}`,
        );
      });
      io.progress("Sending the message through a 3-hop onion path…");
      const sent = await c.sendAttachment(recipient, ref, text, sendOpts);
      io.out(`sent ${sent.hash} with ${file.fileName}`);
      return;
    }
    io.progress("Sending through a 3-hop onion path…");
    const sent = await c.sendText(recipient, text, sendOpts);
    io.out(`sent ${sent.hash}`);
  } finally {
    await c.close();
  }
}

/** `session listen [--timeout <s>] [--all]`: until the timeout, Ctrl-C or SIGTERM. */
export async function listenCommand(
  io: CommandIo,
  opts: { timeout?: string | undefined; all?: boolean | undefined },
): Promise<void> {
  const c = await io.client();
  const timeout = opts.timeout ? Number(opts.timeout) * 1000 : undefined;
  if (timeout !== undefined && !(timeout >= 0))
    throw new ClientError("BAD_ARGUMENT", `--timeout takes seconds, not ${opts.timeout}`);
  io.progress(
    `Listening as ${c.sessionId}${timeout ? ` for ${opts.timeout}s` : ""}${opts.all ? " (whole history)" : " (new messages)"}…`,
  );
  const downloads: Promise<unknown>[] = [];
  c.on("message", (m) => {
    io.out(messageLine(m));
    for (const p of m.content.dataMessage?.attachments ?? []) {
      const ref = fromPointer(p);
      if (!ref) continue;
      const name = basename(ref.fileName ?? ref.id);
      const job = c.attachments.download(ref).then(
        (bytes) => {
          const path = saveUnique(join(io.dataDir, "downloads"), name, bytes);
          io.out(`  saved ${path} (${bytes.length} bytes)`);
        },
        (e: Error) => io.progress(`  attachment ${name} failed: ${e.message}`),
      );
      downloads.push(job);
    }
  });
  c.on("error", (e) => io.progress(`  poll failed: ${e.message}`));
  c.start();
  await new Promise<void>((resolve) => {
    if (timeout !== undefined) setTimeout(resolve, timeout);
    // Ctrl-C or a service manager's SIGTERM: a requested stop, so exit status 0.
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
  });
  c.stop();
  await Promise.all(downloads); // finish saving files that were being fetched
  await c.close();
}
