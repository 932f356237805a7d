/**
 * Hostname rules shared by the Whitelist (W-1, L-4), the OAuthclientlist (client_id = DVP hostname)
 * and certificate matching. Pure functions.
 */

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * L-4: a fully-qualified domain name per RFC 3696 §2, in the lower-case form MedMij lists use:
 * dot-separated labels of 1-63 letters, digits or hyphens, no hyphen at either end of a label,
 * at most 253 characters, at least two labels, and a top-level label that is not all-numeric.
 * No trailing dot: `host.` is not the listed name (FACTS.md: matching is exact).
 */
export function isFqdn(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  if (labels.length < 2) return false;
  for (const label of labels) if (!LABEL.test(label)) return false;
  return !/^[0-9]+$/.test(labels[labels.length - 1]!);
}
