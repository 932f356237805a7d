// Loads the local network's lists into Registratie's KV by publishing them through Registratie's own
// publish endpoint (PUT /admin/lists/<file>), so every seeded list passes the same XSD and
// freshness checks as a real publication (SPEC L-1, L-2, L-9).
//
//   node kv-seed/seed.mjs <registratie base URL> <admin token>
//   e.g. with `wrangler dev -c workers/registratie/wrangler.toml`:
//   node kv-seed/seed.mjs http://127.0.0.1:8787 "$ADMIN_TOKEN"
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export const SEED_LISTS = [
  "MedMij_Zorgaanbiederslijst.xml",
  "MedMij_Whitelist.xml",
  "MedMij_OAuthclientlist.xml",
  "MedMij_Gegevensdienstnamenlijst.xml",
];

const here = new URL("./lists/", import.meta.url);

export async function readSeedList(file) {
  return readFile(new URL(file, here), "utf8");
}

/** `fetchFn` is global fetch or a Miniflare dispatchFetch. Throws on the first refusal. */
export async function publishSeedLists(fetchFn, baseUrl, adminToken) {
  const results = [];
  for (const file of SEED_LISTS) {
    const response = await fetchFn(new URL(`/admin/lists/${file}`, baseUrl).href, {
      method: "PUT",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/xml; charset=utf-8" },
      body: await readSeedList(file),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`publishing ${file} failed: HTTP ${response.status}: ${text.trim()}`);
    results.push({ file, status: response.status, ...JSON.parse(text) });
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [baseUrl, token] = process.argv.slice(2);
  if (!baseUrl || !token) {
    console.error("usage: node kv-seed/seed.mjs <registratie base URL> <admin token>");
    process.exit(2);
  }
  for (const r of await publishSeedLists(fetch, baseUrl, token)) console.log(`${r.file}: ${r.status} volgnummer ${r.volgnummer} releases ${r.releases.join(",") || "-"}`);
}
