import { parseArgs } from "node:util";
import { MAX_ATTACHMENT_SIZE } from "@session/crypto";
import { conversationLine } from "./cli/conversations.ts";
import { readAttachmentFile } from "./cli/files.ts";
import { type CommandIo, listenCommand, sendCommand } from "./cli/message-commands.ts";
import { runToExit } from "./cli/run-to-exit.ts";
import { dataDirOf, sharedOptions } from "./cli/shared-options.ts";
import {
  ClientError,
  createIdentity,
  loadIdentity,
  openSqliteStore,
  restoreIdentity,
  SessionClient,
  saveIdentity,
} from "./index.ts";
import { declineRequest, listContacts, listRequests, sessionIdArg } from "./state/conversations.ts";

const USAGE = `Usage: session <command> [options]

Commands:
  id new                     create an identity (prints Session ID and recovery phrase)
  id show                    print this identity's Session ID
  id restore "<13 words>"    restore an identity from its recovery phrase
  send <SessionID|name> <text>  send a text message through an onion path
  listen [--timeout <s>] [--all]
                             print messages new since the last run (--all: everything still
                             on the network), until Ctrl-C or the timeout
  requests                   list pending message requests
  accept <SessionID>         accept a request (the sender is told) and make them a contact
  decline <SessionID>        delete a request
  block <SessionID>          drop everything from this Session ID from now on
  unblock <SessionID>        take a Session ID off the block list
  contacts                   list contacts and blocked Session IDs
  profile                    show this account's display name and picture (shared by its devices)
  profile set [--name <name>] [--picture <file>]
                             set them (the picture is encrypted and uploaded to the file server)
  nodes                      list the network's nodes and swarms
  group …, community …       closed groups and communities (session group --help)
  name …                     register, renew, show, set and transfer Session names (session name --help)

Options:
  --network <seed>   seed node (or SESSION_NETWORK): https://host:port#sha256=<fingerprint of its
                     certificate> (the seed is pinned; nodes are authenticated by their onion keys),
                     or http://host:port on a plain-HTTP devnet
  --data-dir <dir>   where the identity is kept (default ~/.session-cli, or SESSION_DATA_DIR)
  --file <path>      send: attach this file (encrypted, uploaded through an onion path;
                     at most ${MAX_ATTACHMENT_SIZE} bytes)
  --file-server <url> --file-server-key <hex>
                     file server and its X25519 key (or SESSION_FILE_SERVER, SESSION_FILE_SERVER_KEY)
  --disappear <s>    send: the message disappears <s> seconds after sending
  --after-read       send: … <s> seconds after it is read instead
  --timeout <s>      listen: stop after this many seconds
  --all              listen: print the whole history still on the network
  --name, --picture  profile set: display name, profile picture file
  --force            id new/restore: replace an existing identity
`;

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    ...sharedOptions,
    timeout: { type: "string" },
    file: { type: "string" },
    "file-server": { type: "string" },
    "file-server-key": { type: "string" },
    force: { type: "boolean" },
    disappear: { type: "string" },
    "after-read": { type: "boolean" },
    all: { type: "boolean" },
    name: { type: "string" },
    picture: { type: "string" },
  },
});

const out = (s: string) => process.stdout.write(`${s}\n`);
const progress = (s: string) => process.stderr.write(`${s}\n`);
const dataDir = dataDirOf(values["data-dir"]);

const io: CommandIo = { dataDir, out, progress, client };

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
    dataDir,
    ...(values.all ? { history: true } : {}),
    ...(fsUrl && fsKey ? { fileServer: { url: fsUrl, x25519: fsKey } } : {}),
  });
  progress("Getting the node list (cached, or from the seed)…");
  const nodes = await c.connect();
  progress(`  ${nodes.length} nodes known${c.stats.cacheStarts ? " (from the cache)" : ""}.`);
  return c;
}

/** The identity's store, for commands that need no network. */
async function withStore<T>(f: (store: ReturnType<typeof openSqliteStore>) => Promise<T>): Promise<T> {
  const store = openSqliteStore(dataDir, loadIdentity(dataDir).sessionId);
  try {
    return await f(store);
  } finally {
    await store.close();
  }
}

function idArg(id: string | undefined, cmd: string): string {
  if (!id) throw new ClientError("BAD_ARGUMENT", `usage: session ${cmd} <SessionID>`);
  return sessionIdArg(id);
}

async function main(): Promise<void> {
  const [cmd, sub, ...rest] = positionals;
  if (values.help) {
    out(USAGE);
    return;
  }
  if (!cmd) {
    process.stderr.write(USAGE);
    throw new ClientError("BAD_ARGUMENT", "no command given");
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
      throw new ClientError("BAD_ARGUMENT", `unknown id command "${sub ?? ""}" (new, show, restore)`);
    }
    case "send":
      return sendCommand(io, sub, rest.join(" "), {
        file: values.file,
        disappear: values.disappear,
        afterRead: values["after-read"],
      });
    case "listen":
      return listenCommand(io, { timeout: values.timeout, all: values.all });
    case "requests": {
      const list = await withStore(listRequests);
      if (list.length === 0) progress("No message requests.");
      for (const r of list) out(conversationLine(r));
      return;
    }
    case "contacts": {
      const [contacts, blocked] = await withStore(
        async (s) => [await listContacts(s), await s.blocked()] as const,
      );
      if (contacts.length === 0) progress("No contacts yet.");
      for (const c of contacts) out(conversationLine(c));
      for (const b of blocked) out(`${b}  blocked`);
      return;
    }
    case "accept": {
      const id = idArg(sub, "accept");
      const c = await client();
      try {
        progress("Telling them through a 3-hop onion path…");
        await c.accept(id);
        out(`accepted ${id}`);
      } finally {
        await c.close();
      }
      return;
    }
    case "decline": {
      const id = idArg(sub, "decline");
      await withStore((s) => declineRequest(s, id));
      out(`declined ${id}`);
      return;
    }
    case "block":
    case "unblock": {
      const id = idArg(sub, cmd);
      // Through the network: the contacts config tells this account's other devices too.
      const c = await client();
      try {
        c.on("error", (e) => progress(`  not yet shared with other devices: ${e.message}`));
        if (cmd === "block") await c.block(id);
        else await c.unblock(id);
        out(`${cmd}ed ${id}`);
      } finally {
        await c.close();
      }
      return;
    }
    case "profile": {
      if (sub !== undefined && sub !== "set")
        throw new ClientError("BAD_ARGUMENT", `unknown profile command "${sub}" (set)`);
      if (sub === "set" && values.name === undefined && values.picture === undefined)
        throw new ClientError(
          "BAD_ARGUMENT",
          "usage: session profile set [--name <name>] [--picture <file>]",
        );
      const picture = values.picture ? readAttachmentFile(values.picture).bytes : undefined;
      if (
        picture &&
        !(
          (values["file-server"] ?? process.env.SESSION_FILE_SERVER) &&
          (values["file-server-key"] ?? process.env.SESSION_FILE_SERVER_KEY)
        )
      )
        throw new ClientError(
          "BAD_ARGUMENT",
          "--picture needs a file server: --file-server <url> --file-server-key <hex> (or SESSION_FILE_SERVER, SESSION_FILE_SERVER_KEY)",
        );
      const c = await client();
      try {
        await c.configs.sync();
        if (sub === "set") {
          progress("Saving the profile to this account's swarm…");
          await c.setProfile({
            ...(values.name !== undefined ? { name: values.name } : {}),
            ...(picture ? { picture } : {}),
          });
        }
        const p = await c.profile();
        out(`name:    ${p.name ?? "(none)"}`);
        out(`picture: ${p.pictureUrl ?? "(none)"}`);
      } finally {
        await c.close();
      }
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
      process.stderr.write(USAGE);
      throw new ClientError("BAD_ARGUMENT", `unknown command "${cmd}"`);
  }
}

runToExit(main());
