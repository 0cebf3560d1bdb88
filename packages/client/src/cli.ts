import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { CryptoError, MAX_ATTACHMENT_SIZE } from "@session/crypto";
import {
  ClientError,
  createIdentity,
  fromPointer,
  loadIdentity,
  restoreIdentity,
  SessionClient,
  saveIdentity,
} from "./index.ts";

const USAGE = `Usage: session <command> [options]

Commands:
  id new                     create an identity (prints Session ID and recovery phrase)
  id show                    print this identity's Session ID
  id restore "<13 words>"    restore an identity from its recovery phrase
  send <SessionID|name> <text>  send a text message through an onion path
  listen [--timeout <s>]     print incoming messages (until Ctrl-C or the timeout)
  nodes                      list the network's nodes and swarms

Options:
  --network <seed>   seed node (or SESSION_NETWORK): https://host:port#sha256=<fingerprint of its
                     certificate> (the seed is pinned; nodes are authenticated by their onion keys),
                     or http://host:port on a plain-HTTP devnet
  --data-dir <dir>   where the identity is kept (default ~/.session-cli, or SESSION_DATA_DIR)
  --file <path>      send: attach this file (encrypted, uploaded through an onion path;
                     at most ${MAX_ATTACHMENT_SIZE} bytes)
  --file-server <url> --file-server-key <hex>
                     file server and its X25519 key (or SESSION_FILE_SERVER, SESSION_FILE_SERVER_KEY)
  --timeout <s>      listen: stop after this many seconds
  --force            id new/restore: replace an existing identity
`;

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    network: { type: "string" },
    "data-dir": { type: "string" },
    timeout: { type: "string" },
    file: { type: "string" },
    "file-server": { type: "string" },
    "file-server-key": { type: "string" },
    force: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  },
});

const out = (s: string) => process.stdout.write(`${s}\n`);
const progress = (s: string) => process.stderr.write(`${s}\n`);
const dataDir = values["data-dir"] ?? process.env.SESSION_DATA_DIR ?? join(homedir(), ".session-cli");

function network(): string {
  const n = values.network ?? process.env.SESSION_NETWORK;
  if (!n)
    throw new ClientError(
      "NETWORK_UNAVAILABLE",
      "no network: pass --network <seed> (https://host:port#sha256=<certificate fingerprint>) or set SESSION_NETWORK",
    );
  return n;
}

async function client(): Promise<SessionClient> {
  const fsUrl = values["file-server"] ?? process.env.SESSION_FILE_SERVER;
  const fsKey = values["file-server-key"] ?? process.env.SESSION_FILE_SERVER_KEY;
  const c = new SessionClient({
    identity: loadIdentity(dataDir),
    seeds: [network()],
    ...(fsUrl && fsKey ? { fileServer: { url: fsUrl, x25519: fsKey } } : {}),
  });
  progress("Bootstrapping the node list from the seed…");
  const nodes = await c.connect();
  progress(`  ${nodes.length} nodes known.`);
  return c;
}

async function main(): Promise<void> {
  const [cmd, sub, ...rest] = positionals;
  if (values.help || !cmd) {
    out(USAGE);
    return;
  }
  switch (cmd) {
    case "id": {
      if (sub === "new") {
        const id = createIdentity();
        saveIdentity(dataDir, id, { overwrite: values.force ?? false });
        out(`Session ID:      ${id.sessionId}`);
        out(`Recovery phrase: ${id.recoveryPhrase}`);
        progress("Keep the recovery phrase secret: it restores this account on any device.");
        return;
      }
      if (sub === "show") {
        out(loadIdentity(dataDir).sessionId);
        return;
      }
      if (sub === "restore") {
        const phrase = rest.join(" ");
        const id = restoreIdentity(phrase);
        saveIdentity(dataDir, id, { overwrite: values.force ?? false });
        out(`Restored Session ID: ${id.sessionId}`);
        return;
      }
      throw new ClientError("BAD_RECIPIENT", `unknown id command "${sub ?? ""}" (new, show, restore)`);
    }
    case "send": {
      const text = rest.join(" ");
      if (!sub || (!text && !values.file)) {
        throw new ClientError("BAD_RECIPIENT", "usage: session send <SessionID|name> <text> [--file <path>]");
      }
      const c = await client();
      if (values.file) {
        const bytes = new Uint8Array(readFileSync(values.file));
        const steps = { encrypting: 1, uploading: 2, done: 3 } as const;
        const ref = await c.attachments.upload(bytes, { fileName: basename(values.file) }, (stage) => {
          const n = steps[stage];
          progress(
            `[${"#".repeat(n * 6).padEnd(18, "-")}] ${stage}${stage === "uploading" ? ` ${bytes.length} bytes through a 3-hop onion path` : ""}`,
          );
        });
        progress("Sending the message through a 3-hop onion path…");
        const sent = await c.sendAttachment(sub, ref, text);
        out(`sent ${sent.hash} with ${basename(values.file)}`);
        return;
      }
      progress("Sending through a 3-hop onion path…");
      const sent = await c.sendText(sub, text);
      out(`sent ${sent.hash}`);
      return;
    }
    case "listen": {
      const c = await client();
      const timeout = values.timeout ? Number(values.timeout) * 1000 : undefined;
      progress(`Listening as ${c.sessionId}${timeout ? ` for ${values.timeout}s` : ""}…`);
      const downloads: Promise<unknown>[] = [];
      c.on("message", (m) => {
        const when = new Date(m.timestamp).toISOString();
        out(`${when} ${m.from}${m.isRequest ? " (request)" : ""}: ${m.text ?? "(no text)"}`);
        for (const p of m.content.dataMessage?.attachments ?? []) {
          const ref = fromPointer(p);
          if (!ref) continue;
          const name = basename(ref.fileName ?? ref.id).replace(/[^A-Za-z0-9._-]/g, "_");
          const job = c.attachments.download(ref).then(
            (bytes) => {
              const dir = join(dataDir, "downloads");
              mkdirSync(dir, { recursive: true });
              writeFileSync(join(dir, name), bytes);
              out(`  saved ${join(dir, name)} (${bytes.length} bytes)`);
            },
            (e: Error) => progress(`  attachment ${name} failed: ${e.message}`),
          );
          downloads.push(job);
        }
      });
      c.on("error", (e) => progress(`  poll failed: ${e.message}`));
      c.start();
      await new Promise<void>((resolve) => {
        if (timeout !== undefined) setTimeout(resolve, timeout);
        // Ctrl-C or a service manager's SIGTERM: a requested stop, so exit status 0.
        for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
      });
      c.stop();
      await Promise.all(downloads); // finish saving files that were being fetched
      return;
    }
    case "nodes": {
      const c = new SessionClient({ identity: createIdentity(), seeds: [network()] });
      const nodes = await c.connect();
      const swarms = new Map<string, number>();
      for (const n of nodes) swarms.set(n.swarm_id, (swarms.get(n.swarm_id) ?? 0) + 1);
      out(`${nodes.length} nodes in ${swarms.size} swarms`);
      for (const n of [...nodes].sort((a, b) => (BigInt(a.swarm_id) < BigInt(b.swarm_id) ? -1 : 1))) {
        const swarm = BigInt(n.swarm_id).toString(16).padStart(16, "0");
        out(`  ${swarm}  ${`${n.public_ip}:${n.storage_port}`.padEnd(21)}  ${n.pubkey_ed25519}`);
      }
      return;
    }
    default:
      out(USAGE);
      throw new ClientError("BAD_RECIPIENT", `unknown command "${cmd}"`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof ClientError || err instanceof CryptoError)
      process.stderr.write(`error: ${err.message}\n`);
    else process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
