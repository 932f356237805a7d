/**
 * The local network over real HTTP on loopback: Registratie serves the lists (L-1, L-2) and every
 * node takes them in through its cron refresh (L-3, L-4). Runs the same Miniflare network as
 * `npm run simulate`.
 */
import { SERVE_TTL_MS } from "../../workers/registratie/publication.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOSTS, startNetwork } from "../../scripts/local-network.mjs";
import { RELEASES, schemaOf } from "../../workers/shared/lists/catalogue.ts";
import { validateXmlText } from "../../workers/shared/xsd/index.ts";

let net: Awaited<ReturnType<typeof startNetwork>>;

beforeAll(async () => {
  net = await startNetwork({ port: 0, only: ["registratie", "dvza-zorgbridge", "dvza-medicloud"] });
}, 60_000);
afterAll(async () => net?.dispose());

describe("Registratie on loopback", () => {
  it.each(Object.values(RELEASES).flat().map((r) => [r.kind, r.release, r] as const))(
    "curl http://127.0.0.1:PORT/MedMij_%s.xml?release=%s returns a list that validates",
    async (kind, release, r) => {
      const res = await fetch(`http://127.0.0.1:${net.port}/MedMij_${kind}.xml?release=${release}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/xml; charset=utf-8");
      expect(validateXmlText(await res.text(), schemaOf(r)).ok).toBe(true);
    },
  );

  it("an unknown release is a clear 400 over HTTP too", async () => {
    const res = await fetch(`http://127.0.0.1:${net.port}/MedMij_Whitelist.xml?release=7`);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("supported releases: 2");
  });
});

describe("nodes", () => {
  it("each DVZA deployment holds its own copy of every list after its cron refresh", async () => {
    for (const name of ["dvza-zorgbridge", "dvza-medicloud"]) {
      const kv = await net.mf.getKVNamespace("LISTS", name);
      for (const kind of ["Zorgaanbiederslijst", "Whitelist", "OAuthclientlist", "Gegevensdienstnamenlijst"]) {
        const status = (await kv.get(`list-status/${kind}`, "json")) as { result: string } | null;
        expect(status?.result, `${name} ${kind}`).toBe("updated");
      }
    }
  });

  it("a node keeps its lists when Registratie starts failing (L-5)", async () => {
    // Registratie refuses every list (unknown release) from here on: the next refresh must fail and keep the last valid list.
    const kv = await net.mf.getKVNamespace("LISTS", "dvza-zorgbridge");
    const before = await kv.get("list/Whitelist");
    const registratieKv = await net.mf.getKVNamespace("LISTS", "registratie");
    await registratieKv.delete("published/Whitelist/2");
    await registratieKv.delete("published-version/Whitelist/2");
    // Registratie serves its own copy until it revalidates (SERVE_TTL_MS); after that it has nothing to serve.
    await new Promise((r) => setTimeout(r, SERVE_TTL_MS + 100));
    await net.refreshLists();
    const status = (await kv.get("list-status/Whitelist", "json")) as { result: string; reason: string };
    expect(status.result).toBe("unreachable");
    expect(status.reason).toBe("HTTP 503");
    expect(await kv.get("list/Whitelist")).toBe(before);
  });

  it("the DVZA answers only for its own hostnames", async () => {
    const res = await net.browse(HOSTS.umcharderwijk, "/oauth/token", { method: "POST" });
    // Back channel without a client certificate: the whitelist gate's bare 403.
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("");
  });
});
