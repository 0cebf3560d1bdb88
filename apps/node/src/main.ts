#!/usr/bin/env -S npx tsx
// `session-node`: with no command (or `start`) it runs the node (src/start.ts); `keys`, `register`,
// `contribute`, `update-endpoint`, `status`, `exit`, `finalize-exit` and `claim` are the operator's
// commands on the staking registry (src/operator/).
// The command, when there is one, comes first: `session-node status --indexer <url>`.
import { isOperatorCommand } from "./operator/command-names.ts";

const command = process.argv[2]?.startsWith("-") ? undefined : process.argv[2];

if (
  command === "help" ||
  (command === undefined && (process.argv.includes("--help") || process.argv.includes("-h")))
) {
  const { OPERATOR_USAGE } = await import("./operator/cli.ts");
  process.stdout.write(`${OPERATOR_USAGE}\n`);
} else if (command !== undefined && isOperatorCommand(command)) {
  const { operatorCli, describeError } = await import("./operator/cli.ts");
  await operatorCli(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`error: ${describeError(err)}\n`);
      process.exit(1);
    },
  );
} else {
  await import("./start.ts");
}
