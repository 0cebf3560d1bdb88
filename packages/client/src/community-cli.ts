import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { parseSubcommand, requireSeed, startSubcommand } from "./cli/shared-options.ts";
import { SessionClient } from "./client.ts";
import { Community } from "./community.ts";
import type { CommunityMessage } from "./community-messages.ts";
import { directRequester, onionRequester } from "./community-requester.ts";
import { parseCommunityUrl } from "./community-url.ts";
import { ClientError } from "./errors.ts";

export const COMMUNITY_USAGE = `Usage: session community <command> [options]

  join <https://host/room?public_key=…>   join a community (remembered in the data dir)
  whoami                                  this identity's blinded ID in the community
  post <text> [--reply-to <id>] [--file <path>]
  read [--limit <n>]                      recent messages (sender = blinded ID) and your new DMs
  react <message id> <emoji> [--remove]
  dm <blinded id> <text>                  send a blinded DM
  ban <blinded id> [--timeout <s>]        moderators: ban from the room (unban: --remove)

Requests go through 3-hop onion paths (--network <seed> or SESSION_NETWORK); --direct sends them
over plain HTTP instead (only to servers that allow it).`;

/** `session community …`: its own argument parsing so the main CLI's options stay as they are. */
export async function communityCli(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
) {
  const { values, positionals } = parseSubcommand(argv, {
    "reply-to": { type: "string" },
    file: { type: "string" },
    limit: { type: "string" },
    timeout: { type: "string" },
    remove: { type: "boolean" },
    direct: { type: "boolean" },
  });
  const start = startSubcommand(values, positionals, COMMUNITY_USAGE, out);
  if (!start) return;
  const { cmd, args, dataDir, identity } = start;
  const [a1, a2] = args;
  const stateFile = join(dataDir, "community.json");
  let url: string;
  if (cmd === "join") {
    if (!a1) throw new ClientError("BAD_COMMUNITY_URL", "join needs the community URL");
    parseCommunityUrl(a1);
    url = a1;
  } else {
    try {
      url = (JSON.parse(readFileSync(stateFile, "utf8")) as { url: string }).url;
    } catch (cause) {
      throw new ClientError(
        "BAD_COMMUNITY_URL",
        "no community joined: run `session community join <url>` first",
        undefined,
        { cause },
      );
    }
  }
  const parsed = parseCommunityUrl(url);
  let stop = () => {};
  let requester = directRequester(parsed);
  if (!values.direct) {
    const client = new SessionClient({ identity, seeds: [requireSeed(values.network)] });
    await client.connect();
    requester = onionRequester(client.transport, parsed);
    stop = () => client.stop();
  }
  const community = new Community(identity.keys.ed25519.secretKey, parsed, requester);
  const int = (v: string | undefined, what: string) => {
    if (!v || !/^\d+$/.test(v)) throw new ClientError("BAD_RECIPIENT", `${what} must be a number`);
    return Number(v);
  };
  const show = (m: CommunityMessage) => {
    const reacts = Object.entries(m.reactions)
      .map(([e, r]) => `${e}${r.count}`)
      .join(" ");
    const quote = m.content?.dataMessage?.quote
      ? ` (reply to ${m.content.dataMessage.quote.author.slice(0, 10)}…)`
      : "";
    out(
      `#${m.id} ${m.sender}: ${m.deleted ? "[deleted]" : (m.text ?? "[non-text]")}${quote}${reacts ? `  [${reacts}]` : ""}`,
    );
  };
  try {
    switch (cmd) {
      case "join": {
        const info = await community.join();
        mkdirSync(dataDir, { recursive: true });
        writeFileSync(stateFile, `${JSON.stringify({ url })}\n`);
        out(`joined ${String(info.name)} (${parsed.room}) as ${community.blindedId}`);
        return;
      }
      case "whoami":
        out(community.blindedId);
        return;
      case "post": {
        if (!a1) throw new ClientError("BAD_RECIPIENT", "post needs the text");
        await community.join();
        const files = values.file
          ? [await community.upload(readFileSync(values.file), basename(values.file))]
          : [];
        let replyTo: CommunityMessage | undefined;
        if (values["reply-to"]) {
          const id = int(values["reply-to"], "--reply-to");
          replyTo = (await community.recent(256)).find((m) => m.id === id);
          if (!replyTo) throw new ClientError("REQUEST_FAILED", `no message #${id}`);
        }
        const m = await community.post(a1, { ...(replyTo ? { replyTo } : {}), files });
        out(`posted #${m.id}`);
        return;
      }
      case "read": {
        await community.join();
        const msgs = await community.recent(values.limit ? int(values.limit, "--limit") : 50);
        for (const m of msgs.reverse()) show(m);
        const { dms } = await community.poll();
        for (const d of dms) out(`DM from ${d.sender} (${d.senderSessionId}): ${d.text ?? "[non-text]"}`);
        return;
      }
      case "react": {
        const ok = await community.react(int(a1, "message id"), a2 ?? "👍", values.remove === true);
        out(values.remove ? (ok ? "removed" : "not there") : ok ? "reacted" : "already reacted");
        return;
      }
      case "dm": {
        if (!a1 || !a2) throw new ClientError("BAD_RECIPIENT", "dm needs a blinded ID and the text");
        out(`sent DM #${await community.sendDm(a1.toLowerCase(), a2)}`);
        return;
      }
      case "ban": {
        if (!a1) throw new ClientError("BAD_RECIPIENT", "ban needs a blinded ID");
        if (values.remove) await community.unban(a1);
        else await community.ban(a1, values.timeout ? int(values.timeout, "--timeout") : undefined);
        out(values.remove ? "unbanned" : "banned");
        return;
      }
      default:
        out(COMMUNITY_USAGE);
        throw new ClientError("BAD_RECIPIENT", `unknown community command "${cmd}"`);
    }
  } finally {
    stop();
  }
}
