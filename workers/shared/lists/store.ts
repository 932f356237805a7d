/**
 * A node's view of its cached lists (KV) with per-isolate parsed indexes. Written by the refresh
 * (refresh.ts), read on every request. KV holds the last valid list, so a node keeps working while
 * Registratie is away (L-5).
 */
import type { ListKind } from "./catalogue.ts";
import { GegevensdienstIndex } from "./gegevensdienstnamenlijst.ts";
import type { ListOfKind } from "./model.ts";
import { OAuthclientIndex } from "./oauthclientlist.ts";
import { WhitelistIndex } from "./whitelist.ts";
import { ZorgaanbiedersIndex } from "./zorgaanbiederslijst.ts";
import type { KvStore } from "../ports.ts";

export interface StoredList<K extends ListKind = ListKind> {
  readonly list: ListOfKind<K>;
  readonly sha256: string;
  readonly etag: string | null;
  readonly storedAt: number;
}

export interface IndexOf {
  Whitelist: WhitelistIndex;
  OAuthclientlist: OAuthclientIndex;
  Zorgaanbiederslijst: ZorgaanbiedersIndex;
  Gegevensdienstnamenlijst: GegevensdienstIndex;
}

const BUILD: { readonly [K in ListKind]: (list: ListOfKind<K>) => IndexOf[K] } = {
  Whitelist: (l) => new WhitelistIndex(l),
  OAuthclientlist: (l) => new OAuthclientIndex(l),
  Zorgaanbiederslijst: (l) => new ZorgaanbiedersIndex(l),
  Gegevensdienstnamenlijst: (l) => new GegevensdienstIndex(l),
};

export function listKey(kind: ListKind): string {
  return `list/${kind}`;
}

/** A few bytes beside each list: its SHA-256, so isolates revalidate without reading the list itself. */
export function versionKey(kind: ListKind): string {
  return `list-version/${kind}`;
}

/** How long an isolate trusts its parsed copy before looking at KV again. Well inside L-3/L-4's 900 s. */
export const ISOLATE_TTL_MS = 10_000;

interface Cached {
  readonly loadedAt: number;
  readonly sha256: string;
  readonly index: IndexOf[ListKind];
}

// Keyed by KV namespace so two workers sharing an isolate in tests never see each other's lists.
const cache = new WeakMap<KvStore, Map<ListKind, Cached>>();

function cacheFor(kv: KvStore): Map<ListKind, Cached> {
  let m = cache.get(kv);
  if (!m) cache.set(kv, (m = new Map()));
  return m;
}

export async function readStored<K extends ListKind>(kv: KvStore, kind: K): Promise<StoredList<K> | null> {
  return kv.get<StoredList<K>>(listKey(kind), "json");
}

export async function writeStored<K extends ListKind>(kv: KvStore, stored: StoredList<K>): Promise<void> {
  await kv.put(listKey(stored.list.kind), JSON.stringify(stored));
  // The version after the list: whoever sees the new version finds the new list (or revalidates again).
  await kv.put(versionKey(stored.list.kind), stored.sha256);
  // This isolate sees its own refresh at once; others within ISOLATE_TTL_MS.
  const index = BUILD[stored.list.kind as K](stored.list);
  cacheFor(kv).set(stored.list.kind, { loadedAt: Date.now(), sha256: stored.sha256, index });
}

/**
 * The index of the list in use, or undefined when this node has never held a valid one. Per isolate: the
 * parsed list is trusted for ISOLATE_TTL_MS, then revalidated by its version (a few bytes); the list itself is
 * read and parsed again only when it changed.
 */
export async function listIndex<K extends ListKind>(kv: KvStore, kind: K): Promise<IndexOf[K] | undefined> {
  const m = cacheFor(kv);
  const hit = m.get(kind);
  const now = Date.now();
  if (hit && now - hit.loadedAt < ISOLATE_TTL_MS) return hit.index as IndexOf[K];
  if (hit && (await kv.get(versionKey(kind))) === hit.sha256) {
    m.set(kind, { ...hit, loadedAt: now });
    return hit.index as IndexOf[K];
  }
  const stored = await readStored(kv, kind);
  if (!stored) return hit?.index as IndexOf[K] | undefined;
  const index = hit && hit.sha256 === stored.sha256 ? hit.index : BUILD[kind](stored.list);
  m.set(kind, { loadedAt: now, sha256: stored.sha256, index });
  return index as IndexOf[K];
}
