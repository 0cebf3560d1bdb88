// Entry point of `session community …` (bin/session.mjs routes here).
import { CryptoError } from "@session/crypto";
import { communityCli } from "./community-cli.ts";
import { ClientError } from "./errors.ts";

communityCli(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    const known = err instanceof ClientError || err instanceof CryptoError;
    process.stderr.write(`error: ${known || err instanceof Error ? (err as Error).message : String(err)}\n`);
    process.exit(1);
  },
);
