# shellcheck shell=bash
register_service keyvault azure-keyvault
# Azure Key Vault: daprkit's Key Vault-compatible test server on
# https://127.0.0.1:8443 (secrets API + an Entra ID token endpoint for client
# credentials on the same origin), with a locally generated CA.
#
# Why not an upstream emulator: Lowkey Vault's app jar is published to GitHub
# Packages and Docker Hub only (not Maven Central), and the other emulators
# are NuGet/Docker; none is reachable here. Ours lives in
# packages/secretstores-azure-keyvault/emulator/ and needs only Node.
# Data is in memory: every start begins with an empty vault.

KEYVAULT_PORT=8443
KEYVAULT_DIR="$SERVICES_DIR/keyvault"
KEYVAULT_PIDFILE="$KEYVAULT_DIR/keyvault.pid"
KEYVAULT_EMULATOR="$(cd "$HERE/.." && pwd)/packages/secretstores-azure-keyvault/emulator/keyvault-emulator.mjs"
# Fixed test identities: this vault only ever holds test data.
KEYVAULT_TENANT_ID=daprkit-tenant
KEYVAULT_CLIENT_ID=daprkit-client
KEYVAULT_CLIENT_SECRET=daprkit-client-secret

keyvault_env() {
  echo "DAPRKIT_KEYVAULT_URI=https://127.0.0.1:$KEYVAULT_PORT"
  echo "DAPRKIT_KEYVAULT_AUTHORITY_HOST=https://127.0.0.1:$KEYVAULT_PORT"
  echo "DAPRKIT_KEYVAULT_CA_FILE=$KEYVAULT_DIR/ca.pem"
  echo "DAPRKIT_KEYVAULT_TENANT_ID=$KEYVAULT_TENANT_ID"
  echo "DAPRKIT_KEYVAULT_CLIENT_ID=$KEYVAULT_CLIENT_ID"
  echo "DAPRKIT_KEYVAULT_CLIENT_SECRET=$KEYVAULT_CLIENT_SECRET"
  echo "DAPRKIT_KEYVAULT_CLIENT_CERT_FILE=$KEYVAULT_DIR/client.pem"
}

keyvault_packages() {
  command -v openssl >/dev/null || echo openssl
  command -v curl >/dev/null || echo curl
}

keyvault_version() { echo "daprkit emulator, Node $(node --version 2>/dev/null)"; }

keyvault_ready() {
  [[ -s $KEYVAULT_DIR/ca.pem ]] &&
    timeout 3 curl -fsS --cacert "$KEYVAULT_DIR/ca.pem" "https://127.0.0.1:$KEYVAULT_PORT/healthz" >/dev/null 2>&1
}

keyvault_pid() { pid_alive "$KEYVAULT_PIDFILE" keyvault-emulator && read_pid "$KEYVAULT_PIDFILE"; }

# A CA, a server certificate for 127.0.0.1/localhost signed by it, and an RSA
# client certificate (PEM key + cert in one file, as @azure/identity reads
# it) for certificate credentials. Generated once; `down --purge` removes them.
keyvault_certs() {
  [[ -s $KEYVAULT_DIR/client.pem ]] && return 0
  local d=$KEYVAULT_DIR
  {
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj "/CN=daprkit keyvault test CA" -keyout "$d/ca-key.pem" -out "$d/ca.pem" &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/CN=127.0.0.1" -keyout "$d/server-key.pem" -out "$d/server.csr" &&
      openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial \
        -days 3650 -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n') \
        -out "$d/server.pem" &&
      openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$KEYVAULT_CLIENT_ID" \
        -keyout "$d/client-key.pem" -out "$d/client-cert.pem" &&
      cat "$d/client-key.pem" "$d/client-cert.pem" >"$d/client.pem.tmp" &&
      mv "$d/client.pem.tmp" "$d/client.pem"
  } >"$d/openssl.log" 2>&1 || fail_with_logs keyvault "certificate generation failed" "$d/openssl.log"
  rm -f "$d/server.csr"
}

keyvault_start() {
  local i
  command -v node >/dev/null || fail_with_logs keyvault "node not found"
  [[ -f $KEYVAULT_EMULATOR ]] || fail_with_logs keyvault "emulator missing: $KEYVAULT_EMULATOR"
  mkdir -p "$KEYVAULT_DIR"
  keyvault_certs
  if port_open "$KEYVAULT_PORT"; then
    keyvault_pid >/dev/null || fail_with_logs keyvault "port $KEYVAULT_PORT is taken by something that is not our emulator"
  fi
  if ! keyvault_pid >/dev/null; then
    : >"$KEYVAULT_DIR/keyvault.out"
    # Same launch pattern as kafka: own session, pid file holds node's pid.
    # shellcheck disable=SC2016  # \$\$ and \$@ are for the inner bash
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$KEYVAULT_PIDFILE" \
      env KEYVAULT_EMULATOR_PORT="$KEYVAULT_PORT" \
      KEYVAULT_EMULATOR_CERT="$KEYVAULT_DIR/server.pem" KEYVAULT_EMULATOR_KEY="$KEYVAULT_DIR/server-key.pem" \
      KEYVAULT_EMULATOR_TENANT_ID="$KEYVAULT_TENANT_ID" KEYVAULT_EMULATOR_CLIENT_ID="$KEYVAULT_CLIENT_ID" \
      KEYVAULT_EMULATOR_CLIENT_SECRET="$KEYVAULT_CLIENT_SECRET" \
      KEYVAULT_EMULATOR_CLIENT_CERT="$KEYVAULT_DIR/client-cert.pem" \
      node "$KEYVAULT_EMULATOR" </dev/null >>"$KEYVAULT_DIR/keyvault.out" 2>&1 9>&- &
  fi
  for ((i = 0; i < 100; i++)); do
    keyvault_ready && return 0
    keyvault_pid >/dev/null || fail_with_logs keyvault "the emulator exited during startup" "$KEYVAULT_DIR/keyvault.out"
    sleep 0.1
  done
  fail_with_logs keyvault "no answer on https://127.0.0.1:$KEYVAULT_PORT/healthz after 10s" "$KEYVAULT_DIR/keyvault.out"
}

keyvault_stop() { stop_pid "$KEYVAULT_PIDFILE" keyvault-emulator 10; }
