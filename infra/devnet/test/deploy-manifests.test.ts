import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";
import type { z } from "zod";
import { envSchema as communityServerEnv } from "../../../apps/community-server/src/config.ts";
import { envSchema as fileServerEnv } from "../../../apps/file-server/src/config.ts";
import { nodeEnvSchema } from "../../../apps/node/src/config.ts";
import { envSchema as pushServerEnv } from "../../../apps/push-server/src/config.ts";
import { envSchema as indexerEnv } from "../../../apps/sns-indexer/src/config.ts";
import { imageEnvSchema as examplesEnv } from "../../../examples/src/config.ts";

// Static checks of the deployment files (the images are built and run in containers.test.ts).
const infra = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const root = join(infra, "..");

// The services' own config schemas: a manifest is checked by parsing its environment with them.
const schemas: Record<string, z.ZodObject> = {
  node: nodeEnvSchema as unknown as z.ZodObject,
  "file-server": fileServerEnv as unknown as z.ZodObject,
  "push-server": pushServerEnv as unknown as z.ZodObject,
  "sns-indexer": indexerEnv as unknown as z.ZodObject,
  "community-server": communityServerEnv as unknown as z.ZodObject,
  // The SDK's example services: one app, EXAMPLE picks the service (2fa, broadcaster).
  examples: examplesEnv as unknown as z.ZodObject,
};
// Variables naming a path the service writes (databases, keys, files).
const writtenPaths: Record<string, string[]> = {
  node: ["SESSION_NODE_DATA_DIR"],
  "file-server": ["FS_DATA_DIR"],
  "push-server": ["DATABASE_URL", "KEY_FILE"],
  "sns-indexer": ["DATABASE_URL"],
  "community-server": ["CS_DATA_DIR"],
  examples: ["SESSION_DATA_DIR"],
};
// Each example service with the port its manifests give it.
const examplePorts = { "2fa": 8200, broadcaster: 8201 };
// What compose fills in for `${VAR:?…}` when the operator sets VAR.
const requiredComposeVars: Record<string, string> = {
  SNS_RPC_URL: "http://chain:8545",
  SESSION_NETWORK: "https://node-1:22021#sha256=00",
};
const requiredKeys = (schema: z.ZodObject) =>
  Object.entries(schema.shape)
    .filter(([, s]) => !(s as z.ZodType).safeParse(undefined).success)
    .map(([k]) => k);
const pathOf = (v: string) => v.replace(/^sqlite:/, "");
const under = (path: string, dirs: string[]) => dirs.some((d) => path === d || path.startsWith(`${d}/`));

/** How the storage node runs in every deployment (apps/node/README.md, "Young generation"). */
const NODE_YOUNG_GENERATION = "--max-semi-space-size=64";

/** The problems a service's environment has for its schema: required variables, refinements. */
function configProblems(app: string, env: Record<string, string>): string[] {
  const schema = schemas[app];
  if (!schema) return [`no config schema for app ${app}`];
  const missing = requiredKeys(schema).filter((k) => env[k] === undefined);
  const parsed = schema.safeParse(env);
  return [
    ...missing.map((k) => `${k} is required`),
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`)),
  ];
}

interface K8sContainer {
  env: { name: string; value?: string; valueFrom?: Record<string, { name?: string; key?: string }> }[];
  readinessProbe: { httpGet: { path: string } };
  livenessProbe?: { httpGet: { path: string } };
  volumeMounts?: { name: string; mountPath: string }[];
  image: string;
}
const k8sDocs = () =>
  parseAllDocuments(readFileSync(join(infra, "k8s", "session.yaml"), "utf8")).map((d) => d.toJS());
function k8sEnv(c: K8sContainer, configMaps: Map<string, Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env) {
    if (e.value !== undefined) env[e.name] = String(e.value);
    const ref = e.valueFrom?.configMapKeyRef;
    if (ref) {
      const v = configMaps.get(ref.name!)?.[ref.key!];
      if (v !== undefined) env[e.name] = v;
    }
    if (e.valueFrom?.fieldRef) env[e.name] = "10.0.0.1"; // filled in by the cluster
  }
  return env;
}

describe("deployment files", () => {
  it("one Dockerfile for every app: base image from a build argument, node dist/, unprivileged user", () => {
    expect(readdirSync(join(infra, "docker")).filter((f) => /Dockerfile/.test(f))).toEqual(["Dockerfile"]);
    const df = readFileSync(join(infra, "docker", "Dockerfile"), "utf8");
    expect(df).toMatch(/^ARG NODE_IMAGE=node:22-bookworm-slim$/m);
    expect(df.match(/^FROM \$\{NODE_IMAGE\}/gm)).toHaveLength(2);
    expect(df).toMatch(/^ARG APP=/m);
    expect(df).toContain('exec node \\"/srv/$APP/dist/main.js\\"');
    expect(df).not.toMatch(/tsx/);
    expect(df).toMatch(/^USER 10001$/m);
    const appDirs = [
      ...readdirSync(join(root, "apps")).map((a) => join(root, "apps", a)),
      join(root, "examples"),
    ];
    for (const dir of appDirs) {
      expect(existsSync(join(dir, "src", "main.ts")), dir).toBe(true);
      expect(existsSync(join(dir, "tsconfig.build.json")), dir).toBe(true);
    }
    // examples/ is built and deployed with the apps (APP=examples).
    expect(df).toContain("examples/tsconfig.build.json");
    expect(df).toMatch(/for app in apps\/\*\/ examples\/; do pnpm --filter "\.\/\$app" build/);
  });

  it("compose: every app service passes its own config schema and writes only to its volume", () => {
    const compose = parseYaml(readFileSync(join(infra, "compose.yaml"), "utf8"), { merge: true }) as {
      services: Record<
        string,
        {
          build?: { dockerfile: string };
          environment?: Record<string, string>;
          volumes?: string[];
          ports?: string[];
          user?: string;
          profiles?: string[];
        }
      >;
    };
    const services = Object.entries(compose.services);
    expect(services.length).toBeGreaterThanOrEqual(7);
    // Every app has a service here.
    const composeApps = new Set(services.map(([, s]) => s.environment?.APP).filter(Boolean));
    for (const app of Object.keys(schemas)) expect(composeApps.has(app), app).toBe(true);
    for (const [name, s] of services) {
      for (const p of s.ports ?? []) expect(p).toMatch(/^\d+:\d+$/);
      if (!s.build) continue;
      expect(s.build.dockerfile).toBe("infra/docker/Dockerfile");
      expect(s.user, name).toBe("10001");
      // ${VAR:?…} and ${VAR:-default} as compose would fill them in with VAR set.
      const env = Object.fromEntries(
        Object.entries(s.environment ?? {}).map(([k, v]) => [
          k,
          String(v).replace(/\$\{(\w+):\?[^}]*\}/, (_, name: string) => requiredComposeVars[name] ?? ""),
        ]),
      );
      const app = env.APP!;
      expect(configProblems(app, env), name).toEqual([]);
      const mounts = (s.volumes ?? []).map(
        (v) =>
          v
            .replace(/:(ro|rw)$/, "")
            .split(":")
            .at(-1)!,
      );
      for (const k of writtenPaths[app]!) expect(under(pathOf(env[k]!), mounts), `${name} ${k}`).toBe(true);
      if (app === "sns-indexer") expect(under(env.SNS_DEPLOYMENT_FILE!, mounts)).toBe(true);
    }
    // The example services: in their own profile (a plain `up` needs no seed), one port each.
    for (const [name, example] of [
      ["2fa-sender", "2fa"],
      ["broadcaster", "broadcaster"],
    ] as const) {
      const s = compose.services[name]!;
      expect(s.environment, name).toMatchObject({
        APP: "examples",
        EXAMPLE: example,
        PORT: String(examplePorts[example]),
      });
      expect(s.ports, name).toEqual([`${examplePorts[example]}:${examplePorts[example]}`]);
      expect(s.profiles, name).toEqual(["examples"]);
    }
    expect(compose.services["node-2"]!.environment!.PUBLIC_IP).toBe("node-2");
    expect(compose.services["node-2"]!.environment!.REGISTRY_URL).toBe("http://indexer:8090");
    // Every storage node runs with the young generation the node's bench measured (and only they).
    for (const [name, s] of services)
      expect(s.environment?.NODE_OPTIONS, name).toBe(
        s.environment?.APP === "node" ? NODE_YOUNG_GENERATION : undefined,
      );
  });

  it("Kubernetes: each workload passes its service's config schema, writes to a persistent volume, probes /health", () => {
    const docs = k8sDocs();
    const configMaps = new Map<string, Record<string, string>>(
      docs.filter((d) => d.kind === "ConfigMap").map((d) => [d.metadata.name, d.data]),
    );
    const workloads = docs.filter((x) => ["Deployment", "StatefulSet"].includes(x.kind));
    const envs = workloads.map((d) => k8sEnv(d.spec.template.spec.containers[0], configMaps));
    expect([...new Set(envs.map((e) => e.APP))].sort()).toEqual(Object.keys(schemas).sort());
    for (const e of envs)
      expect(e.NODE_OPTIONS, e.APP).toBe(e.APP === "node" ? NODE_YOUNG_GENERATION : undefined);
    // Both example services, each on its port, probed there.
    const examples = workloads.filter((_, i) => envs[i]!.APP === "examples");
    expect(
      examples.map((d) => {
        const c = d.spec.template.spec.containers[0];
        const e = k8sEnv(c, configMaps);
        return [e.EXAMPLE, Number(e.PORT), c.ports[0].containerPort, c.readinessProbe.httpGet.port];
      }),
    ).toEqual(Object.entries(examplePorts).map(([ex, port]) => [ex, port, port, port]));
    // Service and StatefulSet names are DNS-1035 labels (a letter first, as Kubernetes requires).
    for (const d of docs.filter((x) => ["Service", "StatefulSet", "Deployment"].includes(x.kind)))
      expect(d.metadata.name).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
    for (const d of workloads) {
      expect(d.spec.selector.matchLabels).toEqual(d.spec.template.metadata.labels);
      const c = d.spec.template.spec.containers[0] as K8sContainer;
      expect(c.image).toMatch(/^session\//);
      expect(c.readinessProbe.httpGet.path).toBe("/health");
      expect(c.livenessProbe?.httpGet.path ?? "/health").toBe("/health");
      expect(d.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      const env = k8sEnv(c, configMaps);
      const app = env.APP!;
      expect(configProblems(app, env), d.metadata.name).toEqual([]);
      // Persistent: a claim template of this StatefulSet (emptyDir is lost with the pod).
      const claims = new Set(
        (d.spec.volumeClaimTemplates ?? []).map((v: { metadata: { name: string } }) => v.metadata.name),
      );
      const persistent = (c.volumeMounts ?? []).filter((m) => claims.has(m.name)).map((m) => m.mountPath);
      for (const k of writtenPaths[app]!)
        expect(under(pathOf(env[k]!), persistent), `${app} ${k}`).toBe(true);
      if (app === "sns-indexer") {
        const deploy = (c.volumeMounts ?? []).map((m) => m.mountPath);
        expect(under(env.SNS_DEPLOYMENT_FILE!, deploy)).toBe(true);
      }
    }
  });

  it("the manifest check catches a missing required setting", () => {
    expect(configProblems("push-server", { HOST: "0.0.0.0" })).toContain(
      "SEED_NODES: SEED_NODES (comma-separated seed node URLs) or INDEXER_URL is required",
    );
    expect(configProblems("sns-indexer", { SNS_DEPLOYMENT_FILE: "/deploy/deployment.json" })).toContain(
      "SNS_RPC_URL is required",
    );
    expect(configProblems("node", { SESSION_NODE_DATA_DIR: "/data" }).length).toBeGreaterThan(0);
  });

  it("Prometheus scrapes every service; the Grafana dashboard queries metrics the services expose", () => {
    const prom = parseYaml(readFileSync(join(infra, "observability", "prometheus.yml"), "utf8")) as {
      scrape_configs: { job_name: string }[];
    };
    expect(prom.scrape_configs.map((j) => j.job_name).sort()).toEqual(
      ["community-server", "file-server", "push-server", "session-node", "sns-indexer"].sort(),
    );
    const dash = JSON.parse(readFileSync(join(infra, "observability", "grafana-dashboard.json"), "utf8")) as {
      panels: { targets: { expr: string }[] }[];
    };
    const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr)).join("\n");
    // Every metric family the dashboard uses is defined somewhere in the services' source.
    const sources = [
      "apps/node/src",
      "apps/sns-indexer/src",
      "packages/service-kit/src",
      "apps/node/src/onion",
    ]
      .flatMap((d) =>
        readdirSync(join(root, d))
          .filter((f) => f.endsWith(".ts"))
          .map((f) => readFileSync(join(root, d, f), "utf8")),
      )
      .join("\n");
    for (const m of [
      "session_node_stored_messages",
      "session_node_onion_requests_total",
      "sns_indexer_reorgs_total",
      "session_node_rebalanced_messages_total",
      "session_node_node_links",
      "session_node_sync_pages_total",
      "session_node_redelivered_messages_total",
    ]) {
      expect(exprs).toContain(m);
      expect(sources).toContain(m.replace(/^session_node_|^sns_indexer_/, ""));
    }
  });
});
