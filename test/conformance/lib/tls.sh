# shellcheck shell=bash
# The TLS run. Sourced by run.sh; run_tls is called after the other cases.
#
# It makes a throwaway CA and a server certificate for 127.0.0.1 with openssl, starts
# `castellan serve --tls-cert --tls-key` on them (it must print https://), and runs the
# cases marked --server tls (cases/50-tls.sh) through every client, each trusting that
# CA alone ({CA_BUNDLE}: aws --ca-bundle or AWS_CA_BUNDLE, boto3 verify=, curl --cacert,
# the JS SDK's https.Agent ca). Then each client is asked once more without the CA and
# must refuse the certificate: the case "tls-untrusted-ca", the proof that the calls
# above were verified rather than let through.

# tls_make_certs DIR: DIR/ca.pem, DIR/cert.pem and DIR/key.pem (P-256, valid a day).
# The extensions are the ones strict verifiers want (Python 3.13's VERIFY_X509_STRICT:
# key usage on the CA, key identifiers, a SAN for the address dialled).
tls_make_certs() {
  local d=$1
  printf '%s\n' 'basicConstraints=critical,CA:TRUE,pathlen:0' 'keyUsage=critical,keyCertSign,cRLSign' \
    'subjectKeyIdentifier=hash' >"$d/ca.ext"
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1,DNS:localhost' \
    'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' >"$d/leaf.ext"
  openssl ecparam -name prime256v1 -genkey -noout -out "$d/ca.key" &&
  openssl req -new -x509 -key "$d/ca.key" -subj '/O=Castellan tests/CN=castellan conformance test CA' \
    -days 1 -out "$d/ca.pem" -extensions v3 -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3]\n'; cat "$d/ca.ext") &&
  openssl ecparam -name prime256v1 -genkey -noout -out "$d/leaf.key" &&
  openssl pkcs8 -topk8 -nocrypt -in "$d/leaf.key" -out "$d/key.pem" &&
  openssl req -new -key "$d/key.pem" -subj '/CN=127.0.0.1' -out "$d/leaf.csr" &&
  openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 1 -extfile "$d/leaf.ext" -out "$d/cert.pem" &&
  chmod 600 "$d/key.pem" "$d/ca.key"
}

tls_selected() {
  [[ ${CONFORMANCE_TLS:-1} != 0 ]] || return 1
  local i
  for i in "${!C_NAME[@]}"; do
    [[ ${C_SERVER[i]} == tls ]] && case_selected "${C_NAME[i]}" && return 0
  done
  return 1
}

# tls_untrusted CLIENT DRIVER...: GetCallerIdentity with the client's default trust
# store must fail on the certificate, not reach the server.
tls_untrusted() {
  local client=$1 outf=$WORK/tls/untrusted.$1 err; shift
  CONF_ENDPOINT=$TLS_ENDPOINT CONF_REGION=${GLOBAL_VARS[REGION]} CONF_SERVICE=sts CONF_OP=GetCallerIdentity \
  CONF_PARAMS='{}' CONF_AKID=$TLS_AKID CONF_SECRET=$TLS_SECRET CONF_TOKEN='' CONF_SIGNING=normal \
  CONF_STATE=$WORK/state.$client CONF_PYTHON=$PYTHON CONF_CA_BUNDLE='' \
    timeout 120 "$@" >"$outf" 2>"$outf.err" </dev/null
  err=$(sed -n 's/^Error\t//p' "$outf")
  if [[ $err =~ [Cc]ertificate|CERTIFICATE|SSL|self[-\ ]signed|local\ issuer ]]; then
    report_pass "$client" tls-untrusted-ca
  else
    report_fail "$client" tls-untrusted-ca "got $(show "$(tr '\n' ' ' <"$outf")"), want the certificate refused (an Error naming it)"
  fi
}

run_tls() {
  tls_selected || return 0
  local dir=$WORK/tls c k
  mkdir -p "$dir"
  if ! command -v openssl >/dev/null 2>&1; then report_skip tls "openssl not installed (the TLS run makes its CA with it)"; return; fi
  ensure_bin || { report_fail tls serve "go build ./cmd/castellan failed"; return; }
  tls_make_certs "$dir" >"$dir/openssl.log" 2>&1 || {
    report_fail tls certs "openssl could not make the test CA: $(show "$(tail -n 3 "$dir/openssl.log" | tr '\n' ' ')")"; return; }
  if ! LAUNCH_CA=$dir/ca.pem launch_server "$dir" --tls-cert "$dir/cert.pem" --tls-key "$dir/key.pem"; then
    echo "conformance: castellan serve --tls-cert did not start:" >&2
    tail -n 20 "$dir/server.log" >&2
    report_fail tls serve "castellan serve --tls-cert did not print 'castellan listening on https://ADDR' within 60 s"
    return
  fi
  if [[ $LAUNCHED_ADDR != https://* ]]; then
    report_fail tls serve "castellan serve --tls-cert listens on $LAUNCHED_ADDR, want https://"
    return
  fi
  echo "conformance: castellan serve --tls-cert (pid $LAUNCHED_PID) at $LAUNCHED_ADDR" >&2
  TLS_ENDPOINT=$LAUNCHED_ADDR
  local save_akid=$ROOT_AKID save_secret=$ROOT_SECRET save_endpoint=$ENDPOINT
  local -A saved=()
  for k in ENDPOINT ROOT_AKID ROOT_SECRET ACCOUNT; do saved[$k]=${GLOBAL_VARS[$k]}; done
  if ! read_credentials "$dir/data/root-credentials" castellan; then
    report_fail tls serve "no root credentials in $dir/data/root-credentials"
    ROOT_AKID=$save_akid ROOT_SECRET=$save_secret; return
  fi
  TLS_AKID=$ROOT_AKID TLS_SECRET=$ROOT_SECRET ENDPOINT=$TLS_ENDPOINT
  GLOBAL_VARS[ENDPOINT]=$TLS_ENDPOINT GLOBAL_VARS[ROOT_AKID]=$ROOT_AKID GLOBAL_VARS[ROOT_SECRET]=$ROOT_SECRET
  GLOBAL_VARS[CA_BUNDLE]=$dir/ca.pem
  GLOBAL_VARS[ACCOUNT]=$(discover_account) || GLOBAL_VARS[ACCOUNT]='<unknown: GetCallerIdentity over TLS failed>'
  RUN_SERVER=tls
  for c in "${clients[@]}"; do
    [[ $c != toolkit ]] || continue
    detect_client "$c" || continue # its SKIP was reported with the other cases
    run_client "$c" "${DRIVER[@]}"
    # aws-v1 is the slowest client; v2 shares its driver and makes the point.
    [[ $c != aws-v1 ]] && case_selected tls-untrusted-ca && tls_untrusted "$c" "${DRIVER[@]}"
  done
  RUN_SERVER=main
  for k in "${!saved[@]}"; do GLOBAL_VARS[$k]=${saved[$k]}; done
  unset 'GLOBAL_VARS[CA_BUNDLE]'
  ROOT_AKID=$save_akid ROOT_SECRET=$save_secret ENDPOINT=$save_endpoint
  kill -TERM "$LAUNCHED_PID" 2>/dev/null || true
}
