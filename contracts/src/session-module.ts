import { buildModule } from "@nomicfoundation/ignition-core";

/** SESH, the staking registry behind a UUPS proxy, and the name service, all parameterised. */
export default buildModule("Session", (m) => {
  const deployer = m.getAccount(0);
  const admin = m.getParameter("admin", deployer);
  const treasury = m.getParameter("treasury", deployer);
  const totalSupply = m.getParameter("totalSupply", 240_000_000n * 10n ** 9n);
  const stakingRequirement = m.getParameter("stakingRequirement", 20_000n * 10n ** 9n);
  const exitDelay = m.getParameter("exitDelaySeconds", 30n * 24n * 3600n);
  const penaltyBps = m.getParameter("liquidationPenaltyBps", 1000n);
  const rewardRate = m.getParameter("rewardRatePerSecond", 10n ** 9n);
  const namePrices = m.getParameter("namePrices", [
    5000n * 10n ** 9n,
    1000n * 10n ** 9n,
    200n * 10n ** 9n,
    50n * 10n ** 9n,
    10n * 10n ** 9n,
  ]);

  const sesh = m.contract("SESH", [treasury, totalSupply]);
  const implementation = m.contract("ServiceNodeRegistry", [], { id: "ServiceNodeRegistryImplementation" });
  const init = m.encodeFunctionCall(implementation, "initialize", [
    admin,
    sesh,
    stakingRequirement,
    exitDelay,
    penaltyBps,
    rewardRate,
  ]);
  const proxy = m.contract("ERC1967Proxy", [implementation, init]);
  const registry = m.contractAt("ServiceNodeRegistry", proxy, { id: "ServiceNodeRegistry" });
  const names = m.contract("SessionNameService", [sesh, treasury, admin, namePrices]);
  return { sesh, implementation, registry, names };
});
