#!/usr/bin/env bash
# Configures a Cloudflare zone that serves DVZA or DVP hostnames for MedMij (SPEC S-1, S-2, S-5):
#   1. TLS per the NCSC guidelines (2019): minimum TLS 1.2, TLS 1.3 on, TLS 1.2 cipher suites rated
#      "good" only (ECDHE with AES-GCM or ChaCha20-Poly1305; no CBC, no RSA key exchange, no DHE).
#      TLS 1.3 suites are not configurable on Cloudflare; all of them are rated good by the NCSC.
#   2. Mutual TLS: uploads the CA chain that issues MedMij node certificates (PKIoverheid) as an mTLS
#      CA and associates it with the given hostnames, so the edge asks for and verifies client
#      certificates and fills request.cf.tlsClientAuth. Nothing is blocked at the edge: the worker's
#      whitelist gate (workers/dvza/backchannel.ts) decides per request (W-1..W-3), because the same
#      hostnames also serve the Person's browser on the front channel.
#
# Usage:
#   CLOUDFLARE_API_TOKEN=... ZONE_ID=... ACCOUNT_ID=... \
#   scripts/edge/configure-zone.sh --ca pkioverheid-chain.pem --hostnames "a.example.nl,b.example.nl" [--dry-run | --check]
# The token needs Zone Settings:Edit, SSL and Certificates:Edit (zone) and account SSL and Certificates:Edit.
set -euo pipefail

API="https://api.cloudflare.com/client/v4"
# NCSC "ICT-beveiligingsrichtlijnen voor TLS" (2019), TLS 1.2 cipher suites rated "goed", in BoringSSL names.
NCSC_GOOD_CIPHERS='["ECDHE-ECDSA-AES256-GCM-SHA384","ECDHE-ECDSA-CHACHA20-POLY1305","ECDHE-ECDSA-AES128-GCM-SHA256","ECDHE-RSA-AES256-GCM-SHA384","ECDHE-RSA-CHACHA20-POLY1305","ECDHE-RSA-AES128-GCM-SHA256"]'

mode=apply ca="" hostnames=""
while [ $# -gt 0 ]; do
  case "$1" in
    --ca) ca="$2"; shift 2 ;;
    --hostnames) hostnames="$2"; shift 2 ;;
    --dry-run) mode=dry; shift ;;
    --check) mode=check; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
: "${ZONE_ID:?set ZONE_ID}"
if [ "$mode" != dry ]; then : "${CLOUDFLARE_API_TOKEN:?set CLOUDFLARE_API_TOKEN}"; fi

call() { # method path [json]
  if [ "$mode" = dry ]; then echo "$1 $API$2 ${3:-}"; return 0; fi
  local out
  out=$(curl -sS -X "$1" "$API$2" -H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" -H "Content-Type: application/json" ${3:+--data "$3"})
  node -e 'const r=JSON.parse(process.argv[1]); if(!r.success){console.error(JSON.stringify(r.errors)); process.exit(1)} console.log(JSON.stringify(r.result))' "$out"
}

json_hostnames() { node -e 'console.log(JSON.stringify(process.argv[1].split(",").map(s=>s.trim()).filter(Boolean)))' "$1"; }

if [ "$mode" = check ]; then
  fail=0
  expect() { # setting expected-json
    local got; got=$(call GET "/zones/$ZONE_ID/settings/$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(JSON.parse(s).value)))')
    if [ "$got" = "$2" ]; then echo "ok   $1 = $got"; else echo "FAIL $1 = $got, expected $2"; fail=1; fi
  }
  expect min_tls_version '"1.2"'
  expect tls_1_3 '"on"'
  expect ciphers "$NCSC_GOOD_CIPHERS"
  exit $fail
fi

call PATCH "/zones/$ZONE_ID/settings/min_tls_version" '{"value":"1.2"}'
call PATCH "/zones/$ZONE_ID/settings/tls_1_3" '{"value":"on"}'
call PATCH "/zones/$ZONE_ID/settings/ciphers" "{\"value\":$NCSC_GOOD_CIPHERS}"

if [ -n "$ca" ]; then
  : "${ACCOUNT_ID:?set ACCOUNT_ID}"
  [ -n "$hostnames" ] || { echo "--hostnames is required with --ca" >&2; exit 2; }
  pem=$(node -e 'console.log(JSON.stringify(require("fs").readFileSync(process.argv[1],"utf8")))' "$ca")
  if [ "$mode" = dry ]; then
    call POST "/accounts/\$ACCOUNT_ID/mtls_certificates" '{"name":"medmij-node-ca","ca":true,"certificates":"<PEM>"}'
    call PUT "/zones/$ZONE_ID/certificate_authorities/hostname_associations" "{\"hostnames\":$(json_hostnames "$hostnames"),\"mtls_certificate_id\":\"<id>\"}"
  else
    id=$(call POST "/accounts/$ACCOUNT_ID/mtls_certificates" "{\"name\":\"medmij-node-ca\",\"ca\":true,\"certificates\":$pem}" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
    call PUT "/zones/$ZONE_ID/certificate_authorities/hostname_associations" "{\"hostnames\":$(json_hostnames "$hostnames"),\"mtls_certificate_id\":\"$id\"}"
  fi
fi
echo "done ($mode)"
