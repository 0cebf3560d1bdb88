// The contracts' ABIs alone (no Hardhat runtime): what CLIs and SDKs load.
export { sESHAbi as seshAbi } from "./generated/SESH.ts";
export { serviceNodeRegistryAbi } from "./generated/ServiceNodeRegistry.ts";
export { sessionNameServiceAbi } from "./generated/SessionNameService.ts";
