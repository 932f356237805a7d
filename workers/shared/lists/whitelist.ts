/**
 * The Whitelist (SPEC W-1..W-3, L-4): which hostnames may take part in back-channel traffic.
 */
import { isFqdn } from "../hostname.ts";
import type { XmlElement } from "../xml/types.ts";
import { nested, textOf, child } from "./element.ts";
import { readHeader } from "./header.ts";
import type { Whitelist } from "./model.ts";

export function readWhitelist(root: XmlElement, release: string): Whitelist {
  const hostnames = nested(root, "MedMijNodes", "MedMijNode").map((node) => textOf(child(node, "Hostname")));
  return { kind: "Whitelist", release, ...readHeader(root), hostnames };
}

/** L-4: every hostname on the Whitelist is an FQDN (RFC 3696 §2); the XSD pattern alone lets e.g. `a.123` through. */
export function checkWhitelist(list: Whitelist): string | undefined {
  const bad = list.hostnames.find((h) => !isFqdn(h));
  return bad === undefined ? undefined : `Hostname '${bad}' is not a fully-qualified domain name (RFC 3696 §2)`;
}

export class WhitelistIndex {
  private readonly hosts: ReadonlySet<string>;
  constructor(readonly list: Whitelist) {
    this.hosts = new Set(list.hostnames);
  }

  /**
   * W-1: exact, case-sensitive membership. `Host.nl`, `host.nl.` and "" are not `host.nl`
   * (FACTS.md): no normalisation happens here, on purpose.
   */
  has(hostname: string): boolean {
    return this.hosts.has(hostname);
  }

  /** A certificate counts when its CN or any SAN DNS name is listed (FACTS.md). */
  hasAny(hostnames: readonly string[]): string | undefined {
    return hostnames.find((h) => this.hosts.has(h));
  }
}
