export type Dialect = "sqlite" | "postgres";

/*
 * Tables of the community server, written once for both dialects (only the id, float and blob
 * column types differ). Times are unix seconds as floats, as SOGS reports them. Flags are 0/1
 * integers; a NULL room permission means "the room's default".
 */
export function createTablesSql(dialect: Dialect): string[] {
  const pk = dialect === "sqlite" ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "SERIAL PRIMARY KEY";
  const float = dialect === "sqlite" ? "REAL" : "DOUBLE PRECISION";
  const blob = dialect === "sqlite" ? "BLOB" : "BYTEA";
  /**
   * A table keyed by a pair (or more) of columns, e.g. one row per room and user: the key
   * columns (NOT NULL) come first, then `rest`, then the PRIMARY KEY over the key columns.
   */
  const keyedBy = (name: string, key: Record<string, string>, rest: string[]) => {
    const keyColumns = Object.entries(key).map(([column, type]) => `${column} ${type} NOT NULL`);
    const lines = [...keyColumns, ...rest, `PRIMARY KEY (${Object.keys(key).join(", ")})`];
    return `CREATE TABLE IF NOT EXISTS ${name} (\n      ${lines.join(",\n      ")}\n    )`;
  };
  const roomUser = { room_id: "INTEGER", user_id: "INTEGER" };
  return [
    `CREATE TABLE IF NOT EXISTS users (
      id ${pk},
      session_id TEXT NOT NULL UNIQUE,
      created ${float} NOT NULL,
      last_active ${float} NOT NULL,
      banned INTEGER NOT NULL DEFAULT 0,
      ban_expires ${float},
      moderator INTEGER NOT NULL DEFAULT 0,
      admin INTEGER NOT NULL DEFAULT 0,
      visible_mod INTEGER NOT NULL DEFAULT 0
    )`,
    // Blinded IDs an unblinded (05) user row will take over when that person first signs in.
    `CREATE TABLE IF NOT EXISTS pending_blinding (
      candidate TEXT PRIMARY KEY,
      user_id INTEGER NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS rooms (
      id ${pk},
      token TEXT NOT NULL UNIQUE,
      name TEXT NOT NULL,
      description TEXT,
      image_id INTEGER,
      created ${float} NOT NULL,
      message_sequence INTEGER NOT NULL DEFAULT 0,
      info_updates INTEGER NOT NULL DEFAULT 0,
      default_read INTEGER NOT NULL DEFAULT 1,
      default_accessible INTEGER NOT NULL DEFAULT 1,
      default_write INTEGER NOT NULL DEFAULT 1,
      default_upload INTEGER NOT NULL DEFAULT 1
    )`,
    `CREATE TABLE IF NOT EXISTS messages (
      id ${pk},
      room_id INTEGER NOT NULL,
      user_id INTEGER NOT NULL,
      posted ${float} NOT NULL,
      edited ${float},
      seqno INTEGER NOT NULL,
      seqno_data INTEGER NOT NULL,
      seqno_reactions INTEGER NOT NULL DEFAULT 0,
      seqno_creation INTEGER NOT NULL,
      data ${blob},
      data_size INTEGER,
      signature ${blob},
      whisper_to INTEGER,
      whisper_mods INTEGER NOT NULL DEFAULT 0
    )`,
    "CREATE INDEX IF NOT EXISTS messages_room_seqno ON messages (room_id, seqno)",
    "CREATE INDEX IF NOT EXISTS messages_room_user ON messages (room_id, user_id, posted)",
    `CREATE TABLE IF NOT EXISTS reactions (
      id ${pk},
      message_id INTEGER NOT NULL,
      reaction TEXT NOT NULL,
      UNIQUE (message_id, reaction)
    )`,
    keyedBy("user_reactions", { reaction_id: "INTEGER", user_id: "INTEGER" }, [`at ${float} NOT NULL`]),
    keyedBy("pinned_messages", { room_id: "INTEGER", message_id: "INTEGER" }, [
      "pinned_by INTEGER NOT NULL",
      `pinned_at ${float} NOT NULL`,
    ]),
    keyedBy("room_permissions", roomUser, [
      "banned INTEGER NOT NULL DEFAULT 0",
      `ban_expires ${float}`,
      // NULL: the room's default
      "read INTEGER",
      "accessible INTEGER",
      "write INTEGER",
      "upload INTEGER",
      "moderator INTEGER NOT NULL DEFAULT 0",
      "admin INTEGER NOT NULL DEFAULT 0",
      "visible_mod INTEGER NOT NULL DEFAULT 1",
    ]),
    `CREATE TABLE IF NOT EXISTS files (
      id ${pk},
      room_id INTEGER NOT NULL,
      uploader INTEGER NOT NULL,
      size INTEGER NOT NULL,
      uploaded ${float} NOT NULL,
      expiry ${float},
      filename TEXT,
      message_id INTEGER,
      data ${blob} NOT NULL
    )`,
    "CREATE INDEX IF NOT EXISTS files_expiry ON files (expiry)",
    keyedBy("room_users", roomUser, [`last_active ${float} NOT NULL`]),
    `CREATE TABLE IF NOT EXISTS inbox (
      id ${pk},
      recipient_id INTEGER NOT NULL,
      sender_id INTEGER NOT NULL,
      posted ${float} NOT NULL,
      expiry ${float} NOT NULL,
      body ${blob} NOT NULL
    )`,
    "CREATE INDEX IF NOT EXISTS inbox_recipient ON inbox (recipient_id, id)",
    "CREATE INDEX IF NOT EXISTS inbox_sender ON inbox (sender_id, id)",
    keyedBy("request_nonces", { user_id: "INTEGER", nonce: blob }, [`expiry ${float} NOT NULL`]),
    "CREATE INDEX IF NOT EXISTS request_nonces_expiry ON request_nonces (expiry)",
  ];
}
