// The contracts' ABIs alone (`@session/contracts/abis`): what a deployed service needs at run time,
// without the Hardhat chain and deploy helpers of the package root (hardhat is a dev dependency).
export { sESHAbi as seshAbi, sESHAbi as sessionTokenAbi } from "./generated/SESH.ts";
export { serviceNodeRegistryAbi } from "./generated/ServiceNodeRegistry.ts";
export { sessionNameServiceAbi } from "./generated/SessionNameService.ts";
