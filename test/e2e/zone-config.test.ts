/**
 * S-5: the zone configuration the project scripts for Cloudflare is the NCSC TLS profile (2019):
 * TLS 1.2 minimum, TLS 1.3 on, only cipher suites rated "good"; and mutual TLS for the node hostnames.
 * Checked on the script's --dry-run output (the real API cannot be reached from here).
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const script = fileURLToPath(new URL("../../scripts/edge/configure-zone.sh", import.meta.url));
const NCSC_GOOD = ["ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-RSA-AES128-GCM-SHA256"];

it("S-5: configure-zone.sh sets TLS 1.2 minimum, TLS 1.3 on, only NCSC 'good' suites, and mTLS for the hostnames", () => {
  const out = execFileSync("bash", [script, "--dry-run", "--ca", "/dev/null", "--hostnames", "a.example.nl,b.example.nl"], { env: { ...process.env, ZONE_ID: "z", ACCOUNT_ID: "acc" }, encoding: "utf8" });
  expect(out).toContain('PATCH https://api.cloudflare.com/client/v4/zones/z/settings/min_tls_version {"value":"1.2"}');
  expect(out).toContain('PATCH https://api.cloudflare.com/client/v4/zones/z/settings/tls_1_3 {"value":"on"}');
  const ciphers = JSON.parse(/settings\/ciphers (\{.*\})/.exec(out)![1]!).value as string[];
  expect(ciphers.sort()).toEqual([...NCSC_GOOD].sort());
  // No CBC, no RSA key exchange, no DHE: nothing below "good".
  expect(ciphers.some((c) => /CBC|SHA$|^AES|^DHE-|3DES|RC4/.test(c))).toBe(false);
  expect(out).toMatch(/POST .*\/mtls_certificates .*"ca":true/);
  expect(out).toContain('hostname_associations {"hostnames":["a.example.nl","b.example.nl"],"mtls_certificate_id":"<id>"}');
});
