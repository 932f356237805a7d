// The `cf` object Cloudflare's edge fills in for a request that presented a client certificate it verified
// (SPEC S-2), for the local network's two places that stand in for the edge: the front door (Node) and the
// workers' mTLS fetcher (workerd). Plain JS so both runtimes load it.

/** @param {string} clientHostname @param {string} fingerprintSha256 hex */
export function tlsClientAuthFor(clientHostname, fingerprintSha256) {
  return {
    tlsClientAuth: {
      certPresented: "1",
      certVerified: "SUCCESS",
      certRevoked: "0",
      certSubjectDN: `CN=${clientHostname},O=Local MedMij network,C=NL`,
      certIssuerDN: "CN=Local MedMij network CA,C=NL",
      certFingerprintSHA256: fingerprintSha256,
    },
  };
}

/** The stand-in certificate's fingerprint input: stable per hostname. */
export const fingerprintInput = (clientHostname) => `local certificate of ${clientHostname}`;
