/**
 * Outbound mutual TLS on Deno (SPEC S-2, W-1, W-2, L-8): the edge's `mtls_certificates` binding (the DVP's `MTLS`
 * fetcher) as a `Deno.createHttpClient` with the DVP's certificate and key read from files.
 *
 *   MTLS_CERT_FILE, MTLS_KEY_FILE   the DVP's PKIoverheid server certificate (chain, PEM) and key: presented as
 *                                   client certificate to every DVZA
 *   MTLS_CA_FILE                    optional: CAs trusted for the DVZAs' server certificates besides the system's
 *   MTLS_PROXY                      optional: an HTTP CONNECT egress proxy (http://host:port); TLS stays end to end
 *
 * The guard runs before every connection this client could open: the worker checks W-1 and L-8 before it calls
 * (workers/dvp/peer.ts), and this fetcher checks again with the same decision, so nothing reaches the network
 * through the DVP's certificate for a host that is not on the most recent Whitelist, on port 443, over https; and
 * it never follows a redirect (each hop would be a connection the guard did not see), as peer.ts asks.
 * A refused request gets no connection and no response: it throws, and the worker answers as for any peer failure.
 */

export type PeerGuard = (uri: string) => Promise<string | undefined>;

export interface MtlsVars {
  readonly MTLS_CERT_FILE?: string;
  readonly MTLS_KEY_FILE?: string;
  readonly MTLS_CA_FILE?: string;
  readonly MTLS_PROXY?: string;
}

export class MtlsRefused extends Error {
  override readonly name = "MtlsRefused";
}

export interface MtlsFetcher {
  fetch(request: Request): Promise<Response>;
  close(): void;
}

export function mtlsFetcher(vars: MtlsVars, guard: PeerGuard): MtlsFetcher {
  if (!vars.MTLS_CERT_FILE || !vars.MTLS_KEY_FILE) {
    return { fetch: () => Promise.reject(new Error("MTLS_CERT_FILE and MTLS_KEY_FILE are not configured")), close() {} };
  }
  const client = Deno.createHttpClient({
    cert: Deno.readTextFileSync(vars.MTLS_CERT_FILE),
    key: Deno.readTextFileSync(vars.MTLS_KEY_FILE),
    ...(vars.MTLS_CA_FILE ? { caCerts: [Deno.readTextFileSync(vars.MTLS_CA_FILE)] } : {}),
    ...(vars.MTLS_PROXY ? { proxy: { url: vars.MTLS_PROXY } } : {}),
  });
  return {
    async fetch(request: Request): Promise<Response> {
      // W-1 / L-8 before the connection (W-2: refused without a word to the peer).
      const refusal = await guard(request.url);
      if (refusal) {
        await request.body?.cancel();
        throw new MtlsRefused(refusal);
      }
      return fetch(request, { client, redirect: "manual" });
    },
    close: () => client.close(),
  };
}
