/**
 * List refresh on a node (DVZA or DVP), run by a cron trigger every 5 minutes (SPEC L-3, L-4, L-9):
 * fetch each list it needs from Registratie, validate it against its XSD, reject it when invalid,
 * not newer or unreachable, keep the last valid one in KV, and record the outcome.
 */
import { sha256Hex } from "../crypto.ts";
import { BodyTooLargeError, readTextCapped } from "../http/body.ts";
import { log } from "../log.ts";
import { type ListKind, fileNameOf, findRelease } from "./catalogue.ts";
import { judgeFreshness } from "./freshness.ts";
import { loadList } from "./load.ts";
import { readStored, writeStored } from "./store.ts";
import type { KvStore } from "../ports.ts";

export interface RefreshTarget {
  readonly kind: ListKind;
  readonly release: string;
}

export interface RefreshDeps {
  readonly kv: KvStore;
  /** Base URL of MedMij Registratie, e.g. https://registratie.medmij.nl */
  readonly registratieUrl: string;
  readonly fetch: (request: Request) => Promise<Response>;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

export type RefreshResult = "updated" | "unchanged" | "rejected" | "unreachable";

export interface RefreshOutcome {
  readonly kind: ListKind;
  readonly release: string;
  readonly result: RefreshResult;
  readonly reason?: string;
  /** Volgnummer of the list in use after this attempt (null: none yet). */
  readonly volgnummerInUse: string | null;
  readonly at: string;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Generous for lists of thousands of providers; beyond it the download is refused, not buffered. */
export const DEFAULT_MAX_LIST_BYTES = 8 * 1024 * 1024;

export function statusKey(kind: ListKind): string {
  return `list-status/${kind}`;
}

export function listUrl(registratieUrl: string, target: RefreshTarget): string {
  const url = new URL(`/${fileNameOf(target.kind)}`, registratieUrl);
  url.searchParams.set("release", target.release);
  return url.href;
}

export async function refreshList(target: RefreshTarget, deps: RefreshDeps): Promise<RefreshOutcome> {
  const r = findRelease(target.kind, target.release);
  if (!r) throw new Error(`no ${target.kind} release ${target.release} in the catalogue`);
  const current = await readStored(deps.kv, target.kind);
  const finish = async (result: RefreshResult, reason?: string, volgnummerInUse = current?.list.volgnummer ?? null) => {
    const outcome: RefreshOutcome = {
      kind: target.kind,
      release: target.release,
      result,
      ...(reason === undefined ? {} : { reason }),
      volgnummerInUse,
      at: new Date().toISOString(),
    };
    await deps.kv.put(statusKey(target.kind), JSON.stringify(outcome));
    // L-9: every rejection is logged; successes too, so an operator sees the list cadence.
    log(result === "updated" || result === "unchanged" ? "info" : "warn", "list.refresh", { ...outcome });
    return outcome;
  };

  let xml: string;
  let etag: string | null;
  try {
    const headers = new Headers({ accept: "application/xml" });
    // Only revalidate against a list we hold in this same release.
    if (current?.etag && current.list.release === target.release) headers.set("if-none-match", current.etag);
    const response = await deps.fetch(
      new Request(listUrl(deps.registratieUrl, target), { headers, signal: AbortSignal.timeout(deps.timeoutMs ?? DEFAULT_TIMEOUT_MS) }),
    );
    if (response.status === 304 && current) {
      await response.body?.cancel();
      return finish("unchanged", "not modified");
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      return finish("unreachable", `HTTP ${response.status}`);
    }
    xml = await readTextCapped(response, deps.maxBytes ?? DEFAULT_MAX_LIST_BYTES);
    etag = response.headers.get("etag");
  } catch (e) {
    if (e instanceof BodyTooLargeError) return finish("rejected", e.message);
    if (e instanceof TypeError && /decode|utf-?8/i.test(e.message)) return finish("rejected", "body is not UTF-8");
    const name = e instanceof Error ? e.name : "Error";
    return finish("unreachable", name === "TimeoutError" ? `no answer within ${deps.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms` : `${name}: ${e instanceof Error ? e.message : String(e)}`);
  }

  const loaded = loadList(r, xml);
  if (!loaded.ok) return finish("rejected", loaded.reason);
  const sha256 = await sha256Hex(xml);
  const fresh = judgeFreshness(current ? { ...current.list, sha256: current.sha256 } : undefined, { ...loaded.list, sha256 });
  if (fresh.verdict === "rejected") return finish("rejected", fresh.reason);
  if (fresh.verdict === "unchanged" && current?.etag === etag) return finish("unchanged");
  await writeStored(deps.kv, { list: loaded.list, sha256, etag, storedAt: Date.now() });
  return finish(fresh.verdict === "newer" ? "updated" : "unchanged", undefined, loaded.list.volgnummer);
}

/** Lists are independent: one failing refresh never stops the others. */
export async function refreshAll(targets: readonly RefreshTarget[], deps: RefreshDeps): Promise<RefreshOutcome[]> {
  return Promise.all(targets.map((t) => refreshList(t, deps)));
}

export async function readStatus(kv: KvStore, kind: ListKind): Promise<RefreshOutcome | null> {
  return kv.get<RefreshOutcome>(statusKey(kind), "json");
}
