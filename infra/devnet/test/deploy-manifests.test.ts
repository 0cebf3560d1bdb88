import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments, parse as parseYaml } from "yaml";

// No Docker engine or cluster here: the deployment files are validated statically.
const infra = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const root = join(infra, "..");
const apps = ["node", "file-server", "push-server", "sns-indexer"];

describe("deployment files", () => {
  it("one multi-stage, non-root Dockerfile per app, deploying its own package", () => {
    for (const app of apps) {
      const df = readFileSync(join(infra, "docker", `${app}.Dockerfile`), "utf8");
      expect(df.match(/^FROM /gm)).toHaveLength(2);
      expect(df).toContain(`pnpm --filter @session/${app} deploy`);
      expect(df).toMatch(/^USER session$/m);
      expect(existsSync(join(root, "apps", app, "src", "main.ts"))).toBe(true);
    }
  });

  it("compose services build existing Dockerfiles; ports and env are well-formed", () => {
    const compose = parseYaml(readFileSync(join(infra, "compose.yaml"), "utf8"), { merge: true }) as {
      services: Record<
        string,
        { build?: { dockerfile: string }; environment?: Record<string, string>; ports?: string[] }
      >;
    };
    const services = Object.entries(compose.services);
    expect(services.length).toBeGreaterThanOrEqual(6);
    for (const [name, s] of services) {
      if (s.build) expect(existsSync(join(root, s.build.dockerfile)), name).toBe(true);
      for (const p of s.ports ?? []) expect(p).toMatch(/^\d+:\d+$/);
    }
    expect(compose.services["node-2"]!.environment!.PUBLIC_IP).toBe("node-2");
    expect(compose.services["node-2"]!.environment!.REGISTRY_URL).toBe("http://indexer:8090");
  });

  it("Kubernetes manifests parse and every workload has a known kind, image and probe", () => {
    const docs = parseAllDocuments(readFileSync(join(infra, "k8s", "session.yaml"), "utf8")).map((d) =>
      d.toJS(),
    );
    const kinds = docs.map((d) => d.kind);
    expect(kinds).toEqual(expect.arrayContaining(["ConfigMap", "Deployment", "StatefulSet", "Service"]));
    for (const d of docs.filter((x) => ["Deployment", "StatefulSet"].includes(x.kind))) {
      expect(d.spec.selector.matchLabels).toEqual(d.spec.template.metadata.labels);
      const c = d.spec.template.spec.containers[0];
      expect(c.image).toMatch(/^session\//);
      expect(c.readinessProbe.httpGet.path).toBe("/health");
      expect(d.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    }
  });

  it("Prometheus scrapes every service; the Grafana dashboard queries metrics the services expose", () => {
    const prom = parseYaml(readFileSync(join(infra, "observability", "prometheus.yml"), "utf8")) as {
      scrape_configs: { job_name: string }[];
    };
    expect(prom.scrape_configs.map((j) => j.job_name).sort()).toEqual(
      ["file-server", "push-server", "session-node", "sns-indexer"].sort(),
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
