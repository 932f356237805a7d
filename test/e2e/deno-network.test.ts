/**
 * Issue 19 #4: the whole local network on Deno (scripts/local-network-deno.mjs, `npm run simulate:deno`): Registratie,
 * the DigiD simulator, both DVZA deployments and both DVPs each a `workers/adapter/deno/serve.ts` process with its
 * own SQLite files, nginx (scripts/deno/nginx.conf.sh) in front of each, behind the same front door and hostnames as
 * the network in workerd. The full flow passes the same tests as there (test/e2e/pgo-flow.ts: Verzamelen of BgZ,
 * Delen, the log, the Portabiliteitsrapport), with the DVP's token and resource requests over its own mutual TLS
 * (Deno.createHttpClient with its certificate and key from files, through the egress proxy, verified by the
 * DVZA's nginx: S-2, W-1).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { HOSTS, startNetwork } from "../../scripts/local-network.mjs";
import { NGINX, type DenoNetwork } from "../../scripts/local-network-deno.mjs";
import { expectOversizedPublicationRefused } from "./browser.ts";
import { fullFlowTests } from "./pgo-flow.ts";

const HAVE_NGINX = existsSync(NGINX);
let net: DenoNetwork;

beforeAll(async () => {
  if (HAVE_NGINX) net = await startNetwork({ port: 0, deno: true });
}, 120_000);
afterAll(async () => net?.dispose());

describe.skipIf(!HAVE_NGINX)("the whole network on Deno", () => {
  it("every role is a serve.ts process of its own, behind the one front door", () => {
    const listening = net.events("deno.listening").map((e) => e.role);
    expect(listening.sort()).toEqual(["digid-sim", "dvp", "dvp", "dvza", "dvza", "registratie"]);
    expect(net.layout.map((w) => w.name).sort()).toEqual(["digid-sim", "dvp-gezondheidskluis", "dvp-mijnzorgapp", "dvza-medicloud", "dvza-zorgbridge", "registratie"]);
  });

  fullFlowTests(
    () => net,
    (deployment, zorgaanbieder, scope, query) => net.fhirSearch(deployment, zorgaanbieder, scope, query),
  );

  it("S-2/W-1: the DVP redeemed the code and fetched the BgZ itself, over its own mutual TLS to the provider's port 443", () => {
    // Its connections left through the egress proxy to the provider's nginx, never through the front door.
    expect(net.egressTargets).toContain(`${HOSTS.umcharderwijk}:443`);
    expect(net.egressTargets.every((t) => t.endsWith(":443"))).toBe(true);
    // The DVZA issued the tokens to the client whose certificate nginx verified (CN = the DVP's hostname, W-1).
    const issued = net.events("token.issued");
    expect(issued.length).toBeGreaterThanOrEqual(2);
    expect(issued.every((e) => e.client === HOSTS.dvpKluis)).toBe(true);
    expect(net.events("deno.refresh_failed")).toEqual([]);
  });

  it("the front door answers 413 for a body Registratie on Deno refuses before reading it, as the edge does", async () => {
    await expectOversizedPublicationRefused(net);
  });
});
