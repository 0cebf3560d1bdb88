// Entry point of `session group …` (bin/session.mjs routes here).
import { CryptoError } from "@session/crypto";
import { ClientError } from "./errors.ts";
import { groupCli } from "./groups/cli.ts";

groupCli(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    const known = err instanceof ClientError || err instanceof CryptoError;
    process.stderr.write(`error: ${known || err instanceof Error ? (err as Error).message : String(err)}\n`);
    process.exit(1);
  },
);
