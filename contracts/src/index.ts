export { type InProcessChain, startInProcessChain } from "./chain.ts";
export {
  type Deployment,
  type DeployParams,
  defaultDeployParams,
  deploySessionContracts,
  deploySessionContracts as deployLocal,
} from "./deploy.ts";
export { sESHAbi as seshAbi, sESHAbi as sessionTokenAbi } from "./generated/SESH.ts";
export { serviceNodeRegistryAbi } from "./generated/ServiceNodeRegistry.ts";
export { sessionNameServiceAbi } from "./generated/SessionNameService.ts";
