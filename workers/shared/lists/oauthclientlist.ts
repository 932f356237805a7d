/**
 * The OAuthclientlist: which DVP Servers are OAuth clients, their organisation name (shown in the
 * consent text, AS-1) and, from release 3 on, the Gegevensdiensten each is recognised for (AS-13, L-2).
 */
import { x, type XmlOut } from "../xml/write.ts";
import type { XmlElement } from "../xml/types.ts";
import { childText, nested, textOf, child } from "./element.ts";
import { readHeader } from "./header.ts";
import { findRelease } from "./catalogue.ts";
import type { OAuthclient, OAuthclientlist } from "./model.ts";

export function readOAuthclientlist(root: XmlElement, release: string): OAuthclientlist {
  const clients = nested(root, "OAuthclients", "OAuthclient").map((el): OAuthclient => {
    const base = { hostname: childText(el, "Hostname"), organisatienaam: childText(el, "OAuthclientOrganisatienaam") };
    if (release === "2") return base;
    // Release 3: an absent Gegevensdiensten element means "recognised for none".
    const gegevensdiensten = nested(el, "Gegevensdiensten", "Gegevensdienst").map((gd) => textOf(child(gd, "GegevensdienstId")));
    return { ...base, gegevensdiensten };
  });
  return { kind: "OAuthclientlist", release, ...readHeader(root), clients };
}

export class OAuthclientIndex {
  private readonly byHost: ReadonlyMap<string, OAuthclient>;
  constructor(readonly list: OAuthclientlist) {
    this.byHost = new Map(list.clients.map((c) => [c.hostname, c]));
  }

  /** client_id is the DVP Server hostname; exact match like the Whitelist. */
  client(clientId: string): OAuthclient | undefined {
    return this.byHost.get(clientId);
  }

  /** AS-13: recognised only when the list says so; a release-2 list (no Gegevensdiensten) proves nothing. */
  isRecognisedFor(clientId: string, gegevensdienstId: string): boolean {
    return this.byHost.get(clientId)?.gegevensdiensten?.includes(gegevensdienstId) ?? false;
  }
}

/**
 * L-2: Registratie serves the older release beside the newer one, derived from the same publication
 * (same Volgnummer and Tijdstempel) so the two can never disagree about who is a client.
 */
export function writeOAuthclientlist(list: OAuthclientlist, release: string): XmlOut {
  const r = findRelease("OAuthclientlist", release);
  if (!r) throw new Error(`unknown OAuthclientlist release ${release}`);
  const clients = list.clients.map((c) => {
    const parts: XmlOut[] = [x("Hostname", c.hostname), x("OAuthclientOrganisatienaam", c.organisatienaam)];
    if (release !== "2" && c.gegevensdiensten && c.gegevensdiensten.length > 0) {
      parts.push(x("Gegevensdiensten", c.gegevensdiensten.map((id) => x("Gegevensdienst", [x("GegevensdienstId", id)]))));
    }
    return x("OAuthclient", parts);
  });
  return x("OAuthclientlist", [x("Tijdstempel", list.tijdstempel), x("Volgnummer", list.volgnummer), x("OAuthclients", clients)], {
    xmlns: r.namespace,
  });
}
