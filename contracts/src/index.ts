export { type InProcessChain, startInProcessChain } from "./chain.ts";
export { type Deployment, type DeployParams, defaultDeployParams, deploySessionContracts } from "./deploy.ts";
export { sESHAbi as seshAbi } from "./generated/SESH.ts";
export { serviceNodeRegistryAbi } from "./generated/ServiceNodeRegistry.ts";
export { sessionNameServiceAbi } from "./generated/SessionNameService.ts";
