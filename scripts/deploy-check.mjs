// `wrangler deploy --dry-run` for every worker and environment: bundles exactly as a deployment
// would, offline, and fails on any configuration or bundling error.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TARGETS = [
  { config: "wrangler.toml", envs: ["", "staging", "production"] },
  { config: "workers/registratie/wrangler.toml", envs: ["", "staging", "production"] },
  { config: "workers/dvp/wrangler.toml", envs: ["", "staging", "production"] },
  { config: "workers/digid-sim/wrangler.toml", envs: ["", "staging"] },
];

const out = mkdtempSync(join(tmpdir(), "medmij-dry-"));
let failed = 0;
for (const { config, envs } of TARGETS) {
  for (const env of envs) {
    const label = `${config}${env ? ` --env ${env}` : ""}`;
    try {
      const log = execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", join(out, `${config.replace(/\W/g, "_")}-${env || "default"}`), "-c", config, `--env=${env}`], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
      });
      const size = /Total Upload: ([^\n]+)/.exec(log)?.[1] ?? "?";
      console.log(`ok   ${label}  (${size})`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${label}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    }
  }
}
rmSync(out, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
