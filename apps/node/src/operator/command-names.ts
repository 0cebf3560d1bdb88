// The operator's command names, in a module of their own: main.ts routes by them without
// loading the operator CLI (ethers, the contract ABIs) when it only starts the node.

export const OPERATOR_COMMANDS = [
  "keys",
  "register",
  "contribute",
  "update-endpoint",
  "status",
  "exit",
  "finalize-exit",
  "claim",
] as const;

export type OperatorCommand = (typeof OPERATOR_COMMANDS)[number];

export function isOperatorCommand(name: string): name is OperatorCommand {
  return (OPERATOR_COMMANDS as readonly string[]).includes(name);
}
