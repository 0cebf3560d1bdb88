#!/usr/bin/env -S node --experimental-strip-types

import { join } from "node:path";
import { parseArgs } from "node:util";
import { toHex } from "@session/crypto";
import { booleanOptions, loadServerKeys, stringOptions } from "@session/service-kit";
import { databaseUrl, joinUrl } from "./config.ts";
import { openDb } from "./db/sql.ts";
import { DEFAULT_LIMITS, type DomainDeps } from "./domain/context.ts";
import {
  banFromRoom,
  banGlobally,
  removeRoomModerator,
  setGlobalModerator,
  setRoomModerator,
  unbanFromRoom,
  unbanGlobally,
} from "./domain/moderation.ts";
import { updateRoom } from "./domain/room-update.ts";
import { allRooms, createRoom, deleteRoom, roomByToken } from "./domain/rooms.ts";
import { userForTarget } from "./domain/users.ts";
import { SogsError } from "./errors.ts";

const USAGE = `session-community-admin <command> [options]   (operator tool; acts on the database directly)

  rooms                                   list rooms with their join URLs
  add-room <token> <name> [--description D]
  delete-room <token>
  room-settings <token> [--name N] [--description D] [--read|--no-read] [--write|--no-write]
                        [--upload|--no-upload] [--accessible|--no-accessible]
  add-moderator <session-id> (--room T | --global) [--admin] [--hidden]
  remove-moderator <session-id> (--room T | --global)
  ban <session-id> (--room T | --global) [--timeout SECONDS]
  unban <session-id> (--room T | --global)

Session IDs may be 05 (matched to the blinded ID on first sign-in), 15 or 25 blinded IDs.
Options --data-dir (CS_DATA_DIR), --database-url (DATABASE_URL), --database-schema, --public-url.`;

export async function runAdmin(argv: string[], out: (line: string) => void = console.log): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    allowNegative: true,
    options: {
      ...stringOptions("room", "timeout", "name", "description", "database-url", "database-schema"),
      ...booleanOptions("global", "admin", "hidden", "read", "write", "upload", "accessible"),
      "data-dir": { type: "string", default: process.env.CS_DATA_DIR ?? "./data" },
      "public-url": { type: "string", default: process.env.CS_PUBLIC_URL ?? "http://127.0.0.1:8090" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [cmd, a1, a2] = positionals;
  if (values.help || !cmd) {
    out(USAGE);
    return;
  }
  const dataDir = values["data-dir"]!;
  const url = values["database-url"] ?? process.env.DATABASE_URL;
  const schema = values["database-schema"] ?? process.env.DATABASE_SCHEMA;
  const db = await openDb(databaseUrl({ DATABASE_URL: url, CS_DATA_DIR: dataDir }), schema ? { schema } : {});
  const keys = await loadServerKeys(join(dataDir, "x25519.key"), process.env.CS_X25519_SECRET_KEY);
  const deps: DomainDeps = { db, now: () => Date.now(), serverPk: keys.publicKey, limits: DEFAULT_LIMITS };
  const need = (v: string | undefined, what: string) => {
    if (!v) throw new SogsError(400, `missing ${what}\n\n${USAGE}`);
    return v;
  };
  const room = async () => {
    const r = await roomByToken(db, need(values.room ?? a1, "room token"));
    if (!r) throw new SogsError(404, `no room ${values.room ?? a1}`);
    return r;
  };
  const scope = () => {
    if (!values.global && !values.room) throw new SogsError(400, "give --room <token> or --global");
  };
  try {
    switch (cmd) {
      case "rooms":
        for (const r of await allRooms(db))
          out(`${r.token}\t${r.name}\t${joinUrl(values["public-url"]!, r.token, toHex(keys.publicKey))}`);
        break;
      case "add-room": {
        const r = await createRoom(deps, {
          token: need(a1, "token"),
          name: need(a2, "name"),
          description: values.description ?? null,
        });
        out(`created ${r.token}: ${joinUrl(values["public-url"]!, r.token, toHex(keys.publicKey))}`);
        break;
      }
      case "delete-room":
        out((await deleteRoom(db, need(a1, "token"))) ? `deleted ${a1}` : `no room ${a1}`);
        break;
      case "room-settings": {
        const r = await room();
        const update: Record<string, unknown> = {};
        if (values.name !== undefined) update.name = values.name;
        if (values.description !== undefined) update.description = values.description;
        for (const k of ["read", "write", "upload", "accessible"] as const) {
          if (values[k] !== undefined) update[`default_${k}`] = values[k];
        }
        await updateRoom(deps, r, update);
        out(`updated ${r.token}`);
        break;
      }
      case "add-moderator": {
        scope();
        const u = await userForTarget(deps, need(a1, "session id"));
        if (values.global)
          await setGlobalModerator(deps, u, {
            moderator: true,
            admin: values.admin === true,
            visible: !values.hidden,
          });
        else
          await setRoomModerator(deps, await room(), u, {
            admin: values.admin === true,
            visible: !values.hidden,
          });
        out(`${values.admin ? "admin" : "moderator"} added`);
        break;
      }
      case "remove-moderator": {
        scope();
        const u = await userForTarget(deps, need(a1, "session id"));
        if (values.global)
          await setGlobalModerator(deps, u, { moderator: false, admin: undefined, visible: false });
        else await removeRoomModerator(deps, await room(), u, { adminOnly: false });
        out("moderator removed");
        break;
      }
      case "ban":
      case "unban": {
        scope();
        const u = await userForTarget(deps, need(a1, "session id"));
        const timeoutS = values.timeout === undefined ? undefined : Number(values.timeout);
        if (timeoutS !== undefined && !(timeoutS > 0))
          throw new SogsError(400, "--timeout must be a positive number of seconds");
        if (cmd === "ban") {
          if (values.global) await banGlobally(deps, u, { timeoutS });
          else await banFromRoom(deps, await room(), u, { timeoutS });
        } else if (values.global) await unbanGlobally(deps, u);
        else await unbanFromRoom(deps, await room(), u);
        out(`${cmd === "ban" ? "banned" : "unbanned"}`);
        break;
      }
      default:
        throw new SogsError(400, `unknown command ${cmd}\n\n${USAGE}`);
    }
  } finally {
    await db.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runAdmin(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof SogsError ? err.message : err);
    process.exit(1);
  });
}
