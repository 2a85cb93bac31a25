#!/usr/bin/env bash
# Regenerates the TEST-ONLY CA and server certificate used by the emulator's HTTPS STS.
# Run from anywhere: bash emulator/certs/generate.sh. Needs only openssl.
set -euo pipefail
cd "$(dirname "$0")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# CA: long-lived (~100 years) so the committed files never expire under the tests.
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 36500 \
  -subj "/O=fc-stop-invocation emulator/CN=fc-stop-invocation TEST-ONLY CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$tmp/ca-key.pem" -out ca.pem

# Server certificate for every loopback name a client may use.
openssl req -newkey rsa:2048 -nodes -sha256 \
  -subj "/O=fc-stop-invocation emulator/CN=localhost" \
  -keyout server-key.pem -out "$tmp/server.csr"
cat > "$tmp/ext.cnf" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in "$tmp/server.csr" -CA ca.pem -CAkey "$tmp/ca-key.pem" -CAcreateserial \
  -CAserial "$tmp/ca.srl" -days 36500 -sha256 -extfile "$tmp/ext.cnf" -out server.pem
# The CA key is thrown away on purpose: nobody can sign anything else with this CA.
echo "wrote ca.pem, server.pem, server-key.pem"
