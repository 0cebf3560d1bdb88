#!/usr/bin/env node
// The `session` CLI. One process: tsx's loader is registered here and src/cli.ts imported, so a
// signal sent to this PID reaches the CLI itself (a child process would outlive a SIGTERM here).
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
