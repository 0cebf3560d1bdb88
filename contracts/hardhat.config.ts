import { createRequire } from "node:module";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatEthersChaiMatchers from "@nomicfoundation/hardhat-ethers-chai-matchers";
import hardhatIgnitionEthers from "@nomicfoundation/hardhat-ignition-ethers";
import hardhatKeystore from "@nomicfoundation/hardhat-keystore";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";
import hardhatVerify from "@nomicfoundation/hardhat-verify";
import { configVariable, defineConfig } from "hardhat/config";

// No network access for compiler downloads: use the solc-js (WASM) build from npm.
const solcPath = createRequire(import.meta.url).resolve("solc/soljson.js");

export default defineConfig({
  plugins: [
    hardhatEthers,
    hardhatEthersChaiMatchers,
    hardhatIgnitionEthers,
    hardhatKeystore,
    hardhatMocha,
    hardhatNetworkHelpers,
    hardhatVerify,
  ],
  // Arbiscan verification (Etherscan API v2, one key for every chain): the key is a config variable
  // (environment or `npx hardhat keystore set ETHERSCAN_API_KEY`), never in the repo. Needs the
  // internet, so it is documented in the README and not run by tests.
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
    blockscout: { enabled: false },
    sourcify: { enabled: false },
  },
  solidity: {
    version: "0.8.30",
    path: solcPath,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      // Storage layouts in the build info, for the upgrade-safety check (test/upgrade.test.ts).
      outputSelection: { "*": { "*": ["storageLayout"] } },
    },
    // Build the proxy from OpenZeppelin too, so tests and deployments get its artifact.
    npmFilesToBuild: ["@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol"],
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    localhost: { type: "http", url: process.env.LOCAL_RPC_URL ?? "http://127.0.0.1:8545" },
    // Arbitrum Sepolia (chain id 421614): RPC URL and deployer key come from the environment or
    // Hardhat's keystore (`npx hardhat keystore set ARBITRUM_SEPOLIA_PRIVATE_KEY`), never the repo.
    arbitrumSepolia: {
      type: "http",
      chainType: "generic",
      chainId: 421614,
      url: configVariable("ARBITRUM_SEPOLIA_RPC_URL"),
      accounts: [configVariable("ARBITRUM_SEPOLIA_PRIVATE_KEY")],
    },
  },
});
