/**
 * What Registratie stores per list release in KV, and how a publication becomes those entries
 * (SPEC L-1, L-2). A list is published once, in its newest release; older releases of the same list
 * are derived from it so all releases always carry the same Volgnummer and content.
 */
import { sha256Hex } from "../shared/crypto.ts";
import { type ListKind, type ListRelease, RELEASES, newestRelease } from "../shared/lists/catalogue.ts";
import { judgeFreshness } from "../shared/lists/freshness.ts";
import { loadList } from "../shared/lists/load.ts";
import type { MedMijList } from "../shared/lists/model.ts";
import { writeOAuthclientlist } from "../shared/lists/oauthclientlist.ts";
import { writeXml } from "../shared/xml/write.ts";
import type { KvStore } from "../shared/ports.ts";

export interface PublishedMeta {
  readonly etag: string;
  readonly sha256: string;
  readonly volgnummer: string;
  readonly tijdstempel: string;
}

export function publishedKey(kind: ListKind, release: string): string {
  return `published/${kind}/${release}`;
}

/** The etag of each published release on its own, so a cached copy is revalidated without reading the list. */
export function publishedVersionKey(kind: ListKind, release: string): string {
  return `published-version/${kind}/${release}`;
}

export async function readPublished(kv: KvStore, r: ListRelease): Promise<{ xml: string; meta: PublishedMeta } | null> {
  const { value, metadata } = await kv.getWithMetadata<PublishedMeta>(publishedKey(r.kind, r.release), "text");
  return value !== null && metadata ? { xml: value, meta: metadata } : null;
}

interface CachedRelease {
  readonly published: { xml: string; meta: PublishedMeta };
  readonly checkedAt: number;
}

const served = new WeakMap<KvStore, Map<string, CachedRelease>>();
/** How long an isolate serves its copy before revalidating it by etag; a publication shows within this time. */
export const SERVE_TTL_MS = 5_000;

/**
 * What the list API serves (L-5): a per-isolate copy of each published release, revalidated by its etag
 * every SERVE_TTL_MS. A new publication is read once per isolate; in between, a request costs no KV read.
 */
export async function servedRelease(kv: KvStore, r: ListRelease, now = Date.now()): Promise<{ xml: string; meta: PublishedMeta } | null> {
  let m = served.get(kv);
  if (!m) served.set(kv, (m = new Map()));
  const key = publishedKey(r.kind, r.release);
  const hit = m.get(key);
  if (hit && now - hit.checkedAt < SERVE_TTL_MS) return hit.published;
  if (hit && (await kv.get(publishedVersionKey(r.kind, r.release))) === hit.published.meta.etag) {
    m.set(key, { ...hit, checkedAt: now });
    return hit.published;
  }
  const published = await readPublished(kv, r);
  if (published) m.set(key, { published, checkedAt: now });
  return published;
}

export type PublishResult =
  | { ok: true; status: "published" | "unchanged"; volgnummer: string; releases: string[] }
  | { ok: false; status: 400 | 409; reason: string };

/** Older releases a list can be derived into; only the OAuthclientlist has more than one (L-2). */
function deriveOlder(list: MedMijList, r: ListRelease): string {
  if (list.kind !== "OAuthclientlist") throw new Error(`no derivation for ${list.kind} release ${r.release}`);
  return writeXml(writeOAuthclientlist(list, r.release));
}

export async function publish(kv: KvStore, kind: ListKind, xml: string): Promise<PublishResult> {
  const newest = newestRelease(kind);
  const loaded = loadList(newest, xml);
  if (!loaded.ok) return { ok: false, status: 400, reason: loaded.reason };
  const sha256 = await sha256Hex(xml);
  const current = await readPublished(kv, newest);
  const fresh = judgeFreshness(current ? { ...loaded.list, ...current.meta } : undefined, { ...loaded.list, sha256 });
  if (fresh.verdict === "rejected") return { ok: false, status: 409, reason: fresh.reason };
  if (fresh.verdict === "unchanged") return { ok: true, status: "unchanged", volgnummer: loaded.list.volgnummer, releases: [] };

  // Build every release first and check each against its own XSD, then write: a derived release
  // that would not validate stops the publication before anything changes.
  const entries: { r: ListRelease; xml: string }[] = [];
  for (const r of RELEASES[kind]) {
    const text = r === newest ? xml : deriveOlder(loaded.list, r);
    const check = loadList(r, text);
    if (!check.ok) return { ok: false, status: 400, reason: `derived release ${r.release}: ${check.reason}` };
    entries.push({ r, xml: text });
  }
  // Oldest first, newest last: a reader that sees the newest release knows the older ones are there.
  for (const { r, xml: text } of entries) {
    const hash = await sha256Hex(text);
    const meta: PublishedMeta = { etag: `"${hash.slice(0, 32)}"`, sha256: hash, volgnummer: loaded.list.volgnummer, tijdstempel: loaded.list.tijdstempel };
    await kv.put(publishedKey(kind, r.release), text, { metadata: meta });
    await kv.put(publishedVersionKey(kind, r.release), meta.etag);
    // This isolate serves what it just published at once; others within SERVE_TTL_MS.
    served.get(kv)?.set(publishedKey(kind, r.release), { published: { xml: text, meta }, checkedAt: Date.now() });
  }
  return { ok: true, status: "published", volgnummer: loaded.list.volgnummer, releases: entries.map((e) => e.r.release) };
}
