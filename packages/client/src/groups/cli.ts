import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseSubcommand, requireSeed, startSubcommand } from "../cli/shared-options.ts";
import { SessionClient } from "../client.ts";
import { ClientError } from "../errors.ts";
import { Groups } from "./groups.ts";

export const GROUP_USAGE = `Usage: session group <command> [options]

  create <name>                       new group (you are its admin); prints its 03 ID
  invite <group id> <session id>…     admins: add members (at most 100) and send invitations
  accept [<group id>]                 join a group you were invited to (lists invitations without an ID)
  decline <group id>                  drop an invitation
  members <group id>                  member list (admin, invited) and group info
  promote <group id> <session id>     admins: make a member admin
  remove <group id> <session id>…     admins: remove members (revokes their access, rotates the key)
  leave <group id>                    leave a group
  send <group id> <text> [--file <path>] [--disappear <seconds>]
  read [<group id>]                   messages in your groups

Requests go through 3-hop onion paths (--network <seed> or SESSION_NETWORK); attachments need
--file-server <url> --file-server-key <hex> (or SESSION_FILE_SERVER / SESSION_FILE_SERVER_KEY).`;

/** \`session group …\`: its own entry so the main CLI's options stay as they are. */
export async function groupCli(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
): Promise<void> {
  const { values, positionals } = parseSubcommand(argv, {
    "file-server": { type: "string" },
    "file-server-key": { type: "string" },
    file: { type: "string" },
    disappear: { type: "string" },
  });
  const start = startSubcommand(values, positionals, GROUP_USAGE, out);
  if (!start) return;
  const { cmd, args, dataDir, identity } = start;
  const stateFile = join(dataDir, "groups.json");
  const seed = requireSeed(values.network);
  const fsUrl = values["file-server"] ?? process.env.SESSION_FILE_SERVER;
  const fsKey = values["file-server-key"] ?? process.env.SESSION_FILE_SERVER_KEY;
  const client = new SessionClient({
    identity,
    seeds: [seed],
    ...(fsUrl && fsKey ? { fileServer: { url: fsUrl, x25519: fsKey } } : {}),
  });
  await client.connect();
  const groups = new Groups(client, identity);
  if (existsSync(stateFile)) groups.restore(JSON.parse(readFileSync(stateFile, "utf8")));
  const save = () => {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Holds admin seeds and subaccount keys: owner-only like the identity.
    writeFileSync(stateFile, `${JSON.stringify(groups.state(), null, 2)}\n`, { mode: 0o600 });
  };
  const need = (v: string | undefined, what: string): string => {
    if (!v) throw new ClientError("BAD_RECIPIENT", `${cmd} needs ${what}`);
    return v.toLowerCase();
  };
  const [a1, ...rest] = args;
  switch (cmd) {
    case "create": {
      const g = await groups.create(args.join(" "));
      save();
      out(g.id);
      return;
    }
    case "invite": {
      const id = need(a1, "a group ID");
      await groups.get(id).sync();
      await groups.invite(id, rest.length ? rest : [need(undefined, "Session IDs")]);
      save();
      out(`invited ${rest.length} member(s)`);
      return;
    }
    case "accept":
    case "decline": {
      await client.poll(); // invitations arrive in the 1:1 inbox
      if (!a1) {
        for (const i of groups.pendingInvitations()) out(`${i.groupId} "${i.name}" from ${i.from}`);
        if (!groups.pendingInvitations().length) out("no invitations");
        save();
        return;
      }
      if (cmd === "decline") {
        groups.decline(a1.toLowerCase());
        save();
        out("declined");
        return;
      }
      const g = await groups.accept(a1.toLowerCase());
      save();
      out(`joined "${g.info().name ?? ""}" (${g.id})`);
      return;
    }
    case "members": {
      const g = groups.get(need(a1, "a group ID"));
      await g.sync();
      const info = g.info();
      out(`${info.name ?? "(no name)"}${info.description ? ` — ${info.description}` : ""}`);
      if (info.disappearSeconds) out(`disappearing after ${info.disappearSeconds}s`);
      for (const m of g.members()) {
        const tags = [
          m.admin ? "admin" : "",
          m.inviteStatus ? "invited" : "",
          m.sessionId === identity.sessionId ? "you" : "",
        ]
          .filter(Boolean)
          .join(", ");
        out(`${m.sessionId}${m.name ? ` ${m.name}` : ""}${tags ? ` (${tags})` : ""}`);
      }
      return;
    }
    case "promote": {
      const id = need(a1, "a group ID");
      await groups.get(id).sync();
      await groups.promote(id, need(rest[0], "a Session ID"));
      out("promoted");
      return;
    }
    case "remove": {
      const id = need(a1, "a group ID");
      await groups.get(id).sync();
      await groups.remove(id, rest.length ? rest : [need(undefined, "Session IDs")]);
      out(`removed ${rest.length} member(s); new key generation ${groups.get(id).keyGenerations()[0]}`);
      return;
    }
    case "leave": {
      const id = need(a1, "a group ID");
      await groups.get(id).sync();
      await groups.leave(id);
      save();
      out("left");
      return;
    }
    case "send": {
      const g = groups.get(need(a1, "a group ID"));
      await g.sync();
      const files = values.file
        ? [await client.attachments.upload(readFileSync(values.file), { fileName: basename(values.file) })]
        : [];
      const seconds = values.disappear ? Number(values.disappear) : undefined;
      if (seconds !== undefined && !(Number.isInteger(seconds) && seconds > 0))
        throw new ClientError("BAD_RECIPIENT", "--disappear takes a number of seconds");
      const r = await g.send(
        rest.join(" "),
        seconds ? { disappear: { type: "after-send", seconds } } : {},
        files,
      );
      out(`sent ${r.hash}`);
      return;
    }
    case "read": {
      const targets = a1 ? [groups.get(a1.toLowerCase())] : groups.list();
      for (const g of targets) {
        const msgs = await g.sync();
        for (const m of msgs.sort((x, y) => x.timestamp - y.timestamp)) {
          const files = m.content.dataMessage?.attachments?.length
            ? ` [${m.content.dataMessage.attachments.length} attachment(s)]`
            : "";
          out(`${g.info().name ?? g.id} ${m.from}: ${m.text ?? "[non-text]"}${files}`);
        }
      }
      return;
    }
    default:
      out(GROUP_USAGE);
      throw new ClientError("BAD_RECIPIENT", `unknown group command "${cmd}"`);
  }
}
