/**
 * Registratie's versioned list interface (SPEC L-1, L-2, L-9) and its publish endpoint.
 */
import { SELF, env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { RELEASES, findRelease, schemaOf, type ListKind } from "../../workers/shared/lists/catalogue.ts";
import { validateXmlText } from "../../workers/shared/xsd/index.ts";
import { SEED_XML, withVersion } from "../helpers/seed-xml.ts";
import { SERVE_TTL_MS, publishedKey, publishedVersionKey, servedRelease } from "../../workers/registratie/publication.ts";
import { countingKv } from "../helpers/counting-kv.ts";

const BASE = "https://registratie.medmij.localhost";
const ADMIN = "test-admin-token-0123456789";

function publish(file: string, xml: string, token = ADMIN): Promise<Response> {
  return SELF.fetch(`${BASE}/admin/lists/${file}`, { method: "PUT", headers: { authorization: `Bearer ${token}` }, body: xml });
}

function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, { headers });
}

describe("before anything is published", () => {
  it("a list that was never published is 503 with Retry-After", async () => {
    const res = await get("/MedMij_Whitelist.xml?release=2");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("60");
  });
});

describe("published lists", () => {
  beforeAll(async () => {
    for (const [kind, xml] of Object.entries(SEED_XML)) {
      const res = await publish(`MedMij_${kind}.xml`, xml);
      expect(res.status, await res.clone().text()).toBe(201);
    }
  });

  it.each(Object.values(RELEASES).flat().map((r) => [r.kind, r.release] as const))(
    "L-1/L-2: MedMij_%s.xml?release=%s is served as XML that validates against its XSD",
    async (kind: ListKind, release: string) => {
      const res = await get(`/MedMij_${kind}.xml?release=${release}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/xml; charset=utf-8");
      expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
      expect(res.headers.get("cache-control")).toBe("public, max-age=60, must-revalidate");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const xml = await res.text();
      const r = findRelease(kind, release)!;
      expect(validateXmlText(xml, schemaOf(r)).ok).toBe(true);
      expect(xml).toContain(r.namespace);
    },
  );

  it("L-2: the old and the new OAuthclientlist are served side by side with the same Volgnummer", async () => {
    const r2 = await (await get("/MedMij_OAuthclientlist.xml?release=2")).text();
    const r3 = await (await get("/MedMij_OAuthclientlist.xml?release=3")).text();
    expect(r2).toContain("xmlns://afsprakenstelsel.medmij.nl/oauthclientlist/release2/");
    expect(r2).not.toContain("<Gegevensdiensten>");
    expect(r3).toContain("<GegevensdienstId>48</GegevensdienstId>");
    const vn = (s: string) => /<Volgnummer>(\d+)<\/Volgnummer>/.exec(s)?.[1];
    expect(vn(r2)).toBe("3001");
    expect(vn(r3)).toBe("3001");
    // The organisation name survives derivation with its escaping intact.
    expect(r2).toContain("Gezondheidskluis &amp; Co");
  });

  it("L-2: `api` is accepted as the release parameter's later name", async () => {
    const res = await get("/MedMij_OAuthclientlist.xml?api=3");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("oauthclientlist/release3/");
  });

  it.each([
    ["/MedMij_Whitelist.xml", /missing query parameter 'release'.*supported releases of MedMij_Whitelist\.xml: 2/],
    ["/MedMij_Whitelist.xml?release=9", /unknown release '9' of MedMij_Whitelist\.xml; supported releases: 2/],
    ["/MedMij_OAuthclientlist.xml?release=1", /unknown release '1'.*supported releases: 2, 3/],
    ["/MedMij_OAuthclientlist.xml?release=2&api=3", /conflicting release parameters/],
    ["/MedMij_Whitelist.xml?release=", /unknown release ''/],
  ])("L-2: %s is a clear 400", async (path, message) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(await res.text()).toMatch(message);
  });

  it("an unknown list is 404", async () => {
    expect((await get("/MedMij_Onbekendelijst.xml?release=1")).status).toBe(404);
    expect((await get("/etc/passwd")).status).toBe(404);
  });

  it("If-None-Match with the current ETag is 304 without a body", async () => {
    const first = await get("/MedMij_Whitelist.xml?release=2");
    const etag = first.headers.get("etag")!;
    await first.body?.cancel();
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const res = await get("/MedMij_Whitelist.xml?release=2", { "if-none-match": inm });
      expect(res.status, inm).toBe(304);
      expect(res.headers.get("etag")).toBe(etag);
      expect(await res.text()).toBe("");
    }
    const stale = await get("/MedMij_Whitelist.xml?release=2", { "if-none-match": '"stale"' });
    expect(stale.status).toBe(200);
  });

  it("HEAD answers with the headers only", async () => {
    const res = await SELF.fetch(`${BASE}/MedMij_Whitelist.xml?release=2`, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBeTruthy();
    expect(await res.text()).toBe("");
  });

  it("a write method on a list is not allowed", async () => {
    const res = await SELF.fetch(`${BASE}/MedMij_Whitelist.xml?release=2`, { method: "POST", body: "x" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("publishing (L-1, L-9)", () => {
  it("needs the admin token, compared as a secret", async () => {
    expect((await publish("MedMij_Whitelist.xml", SEED_XML.Whitelist, "wrong")).status).toBe(401);
    const none = await SELF.fetch(`${BASE}/admin/lists/MedMij_Whitelist.xml`, { method: "PUT", body: SEED_XML.Whitelist });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("refuses a list that fails its XSD, with the XSD's reason, and keeps serving the old one", async () => {
    const before = await (await get("/MedMij_Whitelist.xml?release=2")).text();
    const bad = withVersion(SEED_XML.Whitelist, 2500).replace("dvp.mijnzorgapp.localhost", "DVP.mijnzorgapp.localhost");
    const res = await publish("MedMij_Whitelist.xml", bad);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Hostname.*pattern/);
    expect(await (await get("/MedMij_Whitelist.xml?release=2")).text()).toBe(before);
  });

  it("refuses malformed XML", async () => {
    const res = await publish("MedMij_Whitelist.xml", "<Whitelist><unclosed></Whitelist>");
    expect(res.status).toBe(400);
  });

  it("L-9: refuses an older Volgnummer and a conflicting same Volgnummer; accepts the same list again as unchanged", async () => {
    const older = await publish("MedMij_Whitelist.xml", withVersion(SEED_XML.Whitelist, 10));
    expect(older.status).toBe(409);
    expect(await older.text()).toMatch(/lower than/);
    const same = await publish("MedMij_Whitelist.xml", SEED_XML.Whitelist);
    expect(same.status).toBe(200);
    expect(await same.json()).toMatchObject({ status: "unchanged" });
    const conflicting = await publish("MedMij_Whitelist.xml", SEED_XML.Whitelist.replace("</MedMijNodes>", "<MedMijNode><Hostname>extra.localhost</Hostname></MedMijNode></MedMijNodes>"));
    expect(conflicting.status).toBe(409);
  });

  it("a newer version replaces the served one and changes the ETag", async () => {
    const before = await get("/MedMij_Gegevensdienstnamenlijst.xml?release=1");
    const etag = before.headers.get("etag");
    await before.body?.cancel();
    const res = await publish("MedMij_Gegevensdienstnamenlijst.xml", withVersion(SEED_XML.Gegevensdienstnamenlijst, 4002, "2026-11-02T09:00:00Z"));
    expect(res.status).toBe(201);
    const after = await get("/MedMij_Gegevensdienstnamenlijst.xml?release=1");
    expect(after.headers.get("etag")).not.toBe(etag);
    expect(after.headers.get("x-medmij-volgnummer")).toBe("4002");
    expect(await after.text()).toContain("<Volgnummer>4002</Volgnummer>");
  });

  it("L-2: a list is published in its newest release only (older ones are derived)", async () => {
    const old = withVersion(SEED_XML.OAuthclientlist, 3100)
      .replace("oauthclientlist/release3/", "oauthclientlist/release2/")
      .replace(/<Gegevensdiensten>[\s\S]*?<\/Gegevensdiensten>/g, "");
    const res = await publish("MedMij_OAuthclientlist.xml", old);
    expect(res.status).toBe(400);
  });

  it("refuses an oversized body with 413", async () => {
    const huge = "<!--" + "x".repeat(9 * 1024 * 1024) + "-->";
    expect((await publish("MedMij_Whitelist.xml", huge)).status).toBe(413);
  });
});

describe("L-5: the list API serves a per-isolate copy, revalidated by its etag", () => {
  it("within SERVE_TTL_MS no KV read; after it only the etag; the list again only when it changed", async () => {
    const registratieEnv = env as unknown as { LISTS: KVNamespace };
    const r = findRelease("Whitelist", "2")!;
    await registratieEnv.LISTS.put(publishedKey(r.kind, r.release), "<v1/>", { metadata: { etag: '"e1"', sha256: "s1", volgnummer: "1", tijdstempel: "2026-11-01T00:00:00Z" } });
    await registratieEnv.LISTS.put(publishedVersionKey(r.kind, r.release), '"e1"');
    const { kv, reads } = countingKv(registratieEnv.LISTS);
    const t0 = Date.now();
    expect((await servedRelease(kv, r, t0))?.xml).toBe("<v1/>");
    expect((await servedRelease(kv, r, t0 + 1))?.xml).toBe("<v1/>");
    expect(reads).toEqual(["getWithMetadata published/Whitelist/2"]);
    await servedRelease(kv, r, t0 + SERVE_TTL_MS);
    expect(reads.slice(1)).toEqual(["get published-version/Whitelist/2"]);
    // Another isolate published.
    await registratieEnv.LISTS.put(publishedKey(r.kind, r.release), "<v2/>", { metadata: { etag: '"e2"', sha256: "s2", volgnummer: "2", tijdstempel: "2026-11-02T00:00:00Z" } });
    await registratieEnv.LISTS.put(publishedVersionKey(r.kind, r.release), '"e2"');
    expect((await servedRelease(kv, r, t0 + 2 * SERVE_TTL_MS))?.xml).toBe("<v2/>");
  });
});
