// Storage-layout check for an upgrade of a UUPS proxy, with OpenZeppelin's upgrades-core on
// Hardhat's build info (compiled with `storageLayout` output, see hardhat.config.ts):
//   tsx scripts/upgrade-check.ts [From] [To]      (default ServiceNodeRegistry → ServiceNodeRegistry)
// Both contracts are validated as UUPS implementations (no constructors writing state, no
// selfdestruct, an upgrade function), and the new layout must extend the old one, including the
// ERC-7201 namespaced structs (for which the sources are compiled once more, namespaces exposed,
// with solc from npm).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  assertUpgradeSafe,
  getContractVersion,
  getStorageLayout,
  getStorageUpgradeErrors,
  makeNamespacedInput,
  type SolcInput,
  type SolcOutput,
  type StorageLayout,
  solcInputOutputDecoder,
  type ValidationRunData,
  validate,
} from "@openzeppelin/upgrades-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

interface HardhatArtifact {
  contractName: string;
  sourceName: string;
  inputSourceName?: string;
  buildInfoId?: string;
}

function artifactPath(contractName: string): string {
  const known: Record<string, string> = {
    ServiceNodeRegistry: "contracts/ServiceNodeRegistry.sol",
    ServiceNodeRegistryV2: "contracts/test/ServiceNodeRegistryV2.sol",
    ServiceNodeRegistryUnproven: "contracts/test/ServiceNodeRegistryUnproven.sol",
  };
  const source = known[contractName];
  if (!source) throw new Error(`unknown contract ${contractName}`);
  return join(root, "artifacts", source, `${contractName}.json`);
}

const runs = new Map<string, ValidationRunData>();

/** Validates the build that produced `contractName` (once per build) and returns its run data and name. */
function validated(contractName: string): { run: ValidationRunData; fullName: string } {
  const artifact = JSON.parse(readFileSync(artifactPath(contractName), "utf8")) as HardhatArtifact;
  if (!artifact.buildInfoId) throw new Error(`${contractName}: artifact has no build info (compile first)`);
  const fullName = `${artifact.inputSourceName ?? artifact.sourceName}:${contractName}`;
  let run = runs.get(artifact.buildInfoId);
  if (!run) {
    const dir = join(root, "artifacts", "build-info");
    const info = JSON.parse(readFileSync(join(dir, `${artifact.buildInfoId}.json`), "utf8")) as {
      solcVersion: string;
      input: SolcInput;
    };
    const { output } = JSON.parse(readFileSync(join(dir, `${artifact.buildInfoId}.output.json`), "utf8")) as {
      output: SolcOutput;
    };
    // Namespaced (ERC-7201) layouts: compile the sources again with the namespaces as variables.
    const solc = createRequire(import.meta.url)("solc") as { compile(input: string): string };
    const namespacedInput = makeNamespacedInput(info.input, output, info.solcVersion);
    const namespacedOutput = JSON.parse(solc.compile(JSON.stringify(namespacedInput))) as SolcOutput & {
      errors?: { severity: string; formattedMessage: string }[];
    };
    const fatal = namespacedOutput.errors?.filter((e) => e.severity === "error") ?? [];
    if (fatal.length > 0) throw new Error(`namespaced compilation failed:\n${fatal[0]!.formattedMessage}`);
    run = validate(
      output,
      solcInputOutputDecoder(info.input, output),
      info.solcVersion,
      info.input,
      namespacedOutput,
    );
    runs.set(artifact.buildInfoId, run);
  }
  return { run, fullName };
}

/** The validated storage layout of a UUPS implementation (throws if it is not upgrade-safe). */
export function upgradeSafeLayout(contractName: string): StorageLayout {
  const { run, fullName } = validated(contractName);
  const version = getContractVersion(run, fullName);
  assertUpgradeSafe([run], version, { kind: "uups" });
  return getStorageLayout([run], version);
}

/** Layout differences that make `to` unsafe as an upgrade of `from` (empty when compatible). */
export function layoutErrors(from: StorageLayout, to: StorageLayout): string[] {
  return getStorageUpgradeErrors(from, to, { kind: "uups" }).map((op) => {
    const o = op as { kind: string; original?: { label?: string }; updated?: { label?: string } };
    return `${o.kind}: ${o.original?.label ?? "-"} → ${o.updated?.label ?? "-"}`;
  });
}

/** Throws unless `to` is an upgrade-safe UUPS implementation whose layout extends `from`'s. */
export function checkUpgrade(from: string, to: string): void {
  const errors = layoutErrors(upgradeSafeLayout(from), upgradeSafeLayout(to));
  if (errors.length > 0)
    throw new Error(`${to} is not a storage-compatible upgrade of ${from}:\n${errors.join("\n")}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [from = "ServiceNodeRegistry", to = from] = process.argv.slice(2);
  checkUpgrade(from, to);
  console.log(`${to} is an upgrade-safe UUPS implementation, storage-compatible with ${from}`);
}
