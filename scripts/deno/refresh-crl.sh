#!/usr/bin/env bash
# Self-hosting on Deno: keeps nginx's CLIENT_CRL fresh (SPEC S-2; scripts/deno/nginx.conf.sh). A DVP certificate its CA
# has revoked must get the bare 403 of W-2; nginx knows a revocation only from the CRLs in CLIENT_CRL, and it refuses
# every client certificate once a CRL there is past its nextUpdate. So this runs from a systemd timer, hourly
# (docs/deno-layout.md), well inside the publication interval of PKIoverheid's CRLs.
#
#   CLIENT_CA    the PEM bundle nginx verifies client certificates against (the same file as for nginx.conf.sh)
#   CLIENT_CRL   the PEM file nginx reads (ssl_crl), replaced atomically
#   CRL_URLS     the CRLs to fetch, space-separated (http(s):// or file://), one per CA in CLIENT_CA; default: every
#                CRL distribution point named in CLIENT_CA's certificates
#   MIN_VALID    seconds each CRL must still be valid after the refresh (default 3600)
#   RELOAD       what makes nginx read the new file (default: nginx -s reload; empty: nothing)
#
# Each CRL must be signed by a CA in CLIENT_CA (openssl crl -CAfile) and valid for MIN_VALID more seconds; if any one
# fails, nothing is replaced and the script exits non-zero (the timer's unit fails, which monitoring reports): nginx
# keeps the last good CRLs, and should they expire it refuses every client certificate, closed rather than open.
set -euo pipefail
: "${CLIENT_CA:?}" "${CLIENT_CRL:?}"
MIN_VALID="${MIN_VALID:-3600}"
RELOAD="${RELOAD-nginx -s reload}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ -z "${CRL_URLS:-}" ]; then
  # The distribution points of every certificate in the bundle.
  awk -v dir="$work" '/-----BEGIN CERTIFICATE-----/{n++} n{print > (dir "/ca-" n ".pem")}' "$CLIENT_CA"
  CRL_URLS="$(for c in "$work"/ca-*.pem; do openssl x509 -in "$c" -noout -ext crlDistributionPoints 2>/dev/null | sed -n 's/^ *URI://p'; done | sort -u | tr '\n' ' ')"
fi
[ -n "${CRL_URLS// /}" ] || { echo "refresh-crl: no CRL to fetch (set CRL_URLS)" >&2; exit 2; }

now="$(date +%s)"
: > "$work/all.pem"
i=0
for url in $CRL_URLS; do
  i=$((i + 1))
  curl -fsS --max-time 60 -o "$work/$i.crl" "$url" || { echo "refresh-crl: cannot fetch $url" >&2; exit 1; }
  # DER (as PKIoverheid publishes them) or PEM.
  if ! openssl crl -in "$work/$i.crl" -inform DER -out "$work/$i.pem" 2>/dev/null; then
    openssl crl -in "$work/$i.crl" -inform PEM -out "$work/$i.pem" 2>/dev/null || { echo "refresh-crl: $url is not a CRL" >&2; exit 1; }
  fi
  openssl crl -in "$work/$i.pem" -CAfile "$CLIENT_CA" -noout 2>/dev/null || { echo "refresh-crl: $url is not signed by a CA in $CLIENT_CA" >&2; exit 1; }
  next="$(openssl crl -in "$work/$i.pem" -noout -nextupdate | sed 's/^nextUpdate=//')"
  [ -n "$next" ] && [ "$(date -d "$next" +%s)" -gt $((now + MIN_VALID)) ] || { echo "refresh-crl: $url expires too soon ($next)" >&2; exit 1; }
  cat "$work/$i.pem" >> "$work/all.pem"
done

install -m 0644 "$work/all.pem" "$CLIENT_CRL.new"
mv -f "$CLIENT_CRL.new" "$CLIENT_CRL"
if [ -n "$RELOAD" ]; then $RELOAD; fi
echo "refresh-crl: $i CRL(s) in $CLIENT_CRL" >&2
