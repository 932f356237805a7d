/**
 * What the Person can start here (SPEC G-1, L-8): every offering of the Zorgaanbiederslijst whose Gegevensdienst
 * this PGO implements (workers/shared/catalogue.ts), with its name from the Gegevensdienstnamenlijst.
 */
import { gegevensdienstSpec } from "../shared/catalogue.ts";
import { listIndex } from "../shared/lists/store.ts";
import { isPort443Https } from "../shared/lists/zorgaanbiederslijst.ts";
import type { Env } from "./env.ts";
import type { OfferingView } from "./pages.ts";

/** What a Delen Gegevensdienst shares: the Person's measurements or their documents (by its standard). */
export function sharesOf(gd: string): "measurements" | "documents" | undefined {
  const spec = gegevensdienstSpec(gd);
  if (spec?.useCase !== "delen") return undefined;
  return spec.standard === "PDFA-3-0" ? "documents" : spec.standard === "SelfMeasurements-2-0" ? "measurements" : undefined;
}

export async function offerings(env: Env, query = ""): Promise<OfferingView[]> {
  const zal = await listIndex(env.LISTS, "Zorgaanbiederslijst");
  const gnl = await listIndex(env.LISTS, "Gegevensdienstnamenlijst");
  if (!zal) return [];
  const q = query.trim().toLowerCase();
  const out: OfferingView[] = [];
  for (const o of zal.offerings()) {
    const spec = gegevensdienstSpec(o.gegevensdienst.id);
    const naam = gnl?.get(o.gegevensdienst.id)?.weergavenaam;
    if (!spec || !naam) continue;
    if (q && !o.zorgaanbieder.naam.includes(q) && !naam.toLowerCase().includes(q)) continue;
    // L-8: an offering whose authorization endpoint is not https on port 443 cannot be started.
    if (!isPort443Https(o.gegevensdienst.authorizationEndpoint)) continue;
    out.push({ zorgaanbieder: o.zorgaanbieder.naam, gegevensdienstId: o.gegevensdienst.id, naam, useCase: spec.useCase });
  }
  return out;
}

/** A Gegevensdienst's name for the Person (the Gegevensdienstnamenlijst's), or its id. */
export async function gegevensdienstNaam(env: Env, gd: string): Promise<string> {
  return (await listIndex(env.LISTS, "Gegevensdienstnamenlijst"))?.get(gd)?.weergavenaam ?? `Gegevensdienst ${gd}`;
}
