import { buildModule } from "@nomicfoundation/ignition-core";
import SessionModule from "./Session.ts";

/**
 * Upgrades the staking registry of a Session deployment through its UUPS proxy: deploys the new
 * implementation (`contractName`'s current artifact) and calls `upgradeToAndCall` on the proxy as
 * the admin. Run it with the same deployment id as the Session module: the journal supplies the
 * proxy, and a second run sends nothing. Check the storage layout first (src/upgrade-check.ts).
 */
export function registryUpgradeModule(contractName = "ServiceNodeRegistry") {
  return buildModule("RegistryUpgrade", (m) => {
    const { registry } = m.useModule(SessionModule);
    const implementation = m.contract(contractName, [], { id: "NextImplementation" });
    // Sent by the deployer, who must hold DEFAULT_ADMIN_ROLE (a multisig proposes it on a live network).
    m.call(registry, "upgradeToAndCall", [implementation, "0x"]);
    const upgraded = m.contractAt(contractName, registry, { id: "UpgradedRegistry" });
    return { implementation, registry: upgraded };
  });
}

export default registryUpgradeModule();
