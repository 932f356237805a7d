/**
 * Which Zorgaanbieders and Gegevensdiensten this deployment serves: the Zorgaanbiederslijst entries
 * whose endpoints are on this deployment's hostnames (DVZA_HOSTNAMES). One deployment, many providers.
 *
 * G-4: an entry that disappears from the list is still served for 3600 s (the grace period), from a
 * record the cron refresh keeps in KV (`recordLapsed`).
 */
import type { AangebodenGegevensdienst, Systeemrol, Zorgaanbiederslijst } from "../shared/lists/model.ts";
import { ISOLATE_TTL_MS, listIndex } from "../shared/lists/store.ts";
import type { Offering, ZorgaanbiedersIndex } from "../shared/lists/zorgaanbiederslijst.ts";
import type { Env } from "./env.ts";
import type { KvStore } from "../shared/ports.ts";

export const GRACE_MS = 3_600_000;
const LAPSED_KEY = "tenants/lapsed";

interface Lapsed {
  readonly naam: string;
  readonly gegevensdienst: AangebodenGegevensdienst;
  readonly lapsedAt: number;
}

export function ownHostnames(env: Pick<Env, "DVZA_HOSTNAMES">): ReadonlySet<string> {
  return new Set(
    env.DVZA_HOSTNAMES.split(",")
      .map((h) => h.trim())
      .filter((h) => h !== ""),
  );
}

function hostOf(uri: string): string | undefined {
  try {
    return new URL(uri).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Endpoint identity: scheme, host, port and path, as URL normalises them (`:443` on https drops out),
 * without query or fragment. Undefined for anything that is not an https URL.
 */
export function endpointId(uri: string | URL): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  return u.protocol === "https:" ? `https://${u.host}${u.pathname}` : undefined;
}

export function sameEndpoint(listed: string, requestUrl: URL): boolean {
  const id = endpointId(listed);
  return id !== undefined && id === endpointId(requestUrl);
}

function isOurs(gd: AangebodenGegevensdienst, hosts: ReadonlySet<string>): boolean {
  const all = [gd.authorizationEndpoint, gd.tokenEndpoint, ...gd.systeemrollen.map((s) => s.resourceEndpoint)];
  return all.some((uri) => hosts.has(hostOf(uri) ?? ""));
}

export interface ResourceMatch {
  readonly offering: Offering;
  readonly systeemrol: Systeemrol;
  /** The request path below the resource endpoint, e.g. `/Patient`. */
  readonly rest: string;
}

export class Tenancy {
  constructor(
    private readonly current: readonly Offering[],
    private readonly lapsed: readonly Offering[],
  ) {}

  /** The offering, current first, then within its grace period (G-4). */
  offering(naam: string, gegevensdienstId: string): Offering | undefined {
    const match = (o: Offering) => o.zorgaanbieder.naam === naam && o.gegevensdienst.id === gegevensdienstId;
    return this.current.find(match) ?? this.lapsed.find(match);
  }

  /** Resource endpoints that are a path prefix of the request URL, on the same origin. */
  resourceMatches(url: URL): ResourceMatch[] {
    const out: ResourceMatch[] = [];
    for (const offering of [...this.current, ...this.lapsed]) {
      for (const systeemrol of offering.gegevensdienst.systeemrollen) {
        let base: URL;
        try {
          base = new URL(systeemrol.resourceEndpoint);
        } catch {
          continue;
        }
        if (base.host !== url.host || base.protocol !== url.protocol) continue;
        const prefix = base.pathname.replace(/\/$/, "");
        if (url.pathname === prefix || url.pathname.startsWith(`${prefix}/`)) {
          out.push({ offering, systeemrol, rest: url.pathname.slice(prefix.length) || "/" });
        }
      }
    }
    return out;
  }

  get size(): number {
    return this.current.length;
  }

  /** The Zorgaanbieders this deployment serves now (their names, `naam@medmij`). */
  zorgaanbieders(): ReadonlySet<string> {
    return new Set(this.current.map((o) => o.zorgaanbieder.naam));
  }
}

/**
 * Per isolate: this deployment's current offerings (derived from the ZAL index it was built from) and
 * the grace record, re-read from KV at most every ISOLATE_TTL_MS like the lists themselves. The grace
 * record only changes when the cron refresh runs, which writes through this cache (recordLapsed).
 */
interface CachedTenancy {
  readonly zal: ZorgaanbiedersIndex;
  readonly hostnames: string;
  readonly current: readonly Offering[];
  readonly lapsed: readonly Lapsed[];
  readonly loadedAt: number;
}

const tenancyCache = new WeakMap<KvStore, CachedTenancy>();

export async function loadTenancy(env: Pick<Env, "LISTS" | "DVZA_HOSTNAMES">, now = Date.now()): Promise<Tenancy | undefined> {
  const zal = await listIndex(env.LISTS, "Zorgaanbiederslijst");
  if (!zal) return undefined;
  let cached = tenancyCache.get(env.LISTS);
  if (!cached || cached.zal !== zal || cached.hostnames !== env.DVZA_HOSTNAMES || Date.now() - cached.loadedAt >= ISOLATE_TTL_MS) {
    const hosts = ownHostnames(env);
    const lapsed = (await env.LISTS.get<Lapsed[]>(LAPSED_KEY, "json")) ?? [];
    cached = { zal, hostnames: env.DVZA_HOSTNAMES, current: [...zal.offerings()].filter((o) => isOurs(o.gegevensdienst, hosts)), lapsed, loadedAt: Date.now() };
    tenancyCache.set(env.LISTS, cached);
  }
  const inGrace = cached.lapsed
    .filter((l) => now - l.lapsedAt < GRACE_MS)
    .map((l): Offering => ({ zorgaanbieder: { naam: l.naam, gegevensdiensten: [l.gegevensdienst] }, gegevensdienst: l.gegevensdienst }));
  return new Tenancy(cached.current, inGrace);
}

/**
 * G-4: after the Zorgaanbiederslijst changed, remember which of our offerings left it and when, and
 * forget those whose grace period is over. Entries that come back are dropped from the record.
 */
export async function recordLapsed(
  env: Pick<Env, "LISTS" | "DVZA_HOSTNAMES">,
  before: Zorgaanbiederslijst | undefined,
  after: Zorgaanbiederslijst,
  now = Date.now(),
): Promise<void> {
  const hosts = ownHostnames(env);
  const key = (naam: string, id: string) => `${naam}~${id}`;
  const present = new Set(after.zorgaanbieders.flatMap((z) => z.gegevensdiensten.map((g) => key(z.naam, g.id))));
  const previous = (await env.LISTS.get<Lapsed[]>(LAPSED_KEY, "json")) ?? [];
  const kept = previous.filter((l) => now - l.lapsedAt < GRACE_MS && !present.has(key(l.naam, l.gegevensdienst.id)));
  const known = new Set(kept.map((l) => key(l.naam, l.gegevensdienst.id)));
  for (const z of before?.zorgaanbieders ?? []) {
    for (const g of z.gegevensdiensten) {
      const k = key(z.naam, g.id);
      if (!present.has(k) && !known.has(k) && isOurs(g, hosts)) kept.push({ naam: z.naam, gegevensdienst: g, lapsedAt: now });
    }
  }
  await env.LISTS.put(LAPSED_KEY, JSON.stringify(kept));
  // This isolate sees the new grace record at once; the cache rebuilds from KV on the next load.
  tenancyCache.delete(env.LISTS);
}
