// Entry point of `session name …` (bin/session.mjs routes here).
import { nameCli } from "./name-cli.ts";

nameCli(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
