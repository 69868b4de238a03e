#!/usr/bin/env bash
# Generates the .env that docker-compose.yml requires, with fresh random secrets
# (openssl rand), and prints the values once so you can store them in your password
# manager. docker-compose reads .env from the project directory (the repository root).
#
#   deploy/generate-env.sh                # writes ./.env next to docker-compose.yml
#   deploy/generate-env.sh path/to/.env   # writes elsewhere
#   deploy/generate-env.sh --force        # replaces an existing file (new secrets!)
#
# Replacing secrets after the first `docker-compose up` breaks the stack: MongoDB,
# Postgres and MinIO keep the credentials they were initialised with in their volumes.
# Rotate with `docker-compose down -v` (deletes all data) or by changing them inside
# the services first.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
force=false
target=""
for arg in "$@"; do
  case "$arg" in
    -f|--force) force=true ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option: $arg" >&2; exit 2 ;;
    *) target="$arg" ;;
  esac
done
target="${target:-$repo_root/.env}"

command -v openssl >/dev/null || { echo "openssl is required" >&2; exit 1; }
if [[ -e "$target" && "$force" != true ]]; then
  echo "$target already exists; not overwriting (use --force to replace it)." >&2
  exit 1
fi

# Hex only: safe inside URIs (MONGODB_URI), YAML and shell without quoting.
hex() { openssl rand -hex "$1"; }

umask 077
tmp="$(mktemp "${target}.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
cat >"$tmp" <<ENV
# HotSwap docker-compose secrets, generated $(date -u +%Y-%m-%dT%H:%M:%SZ) by deploy/generate-env.sh.
# Never commit this file (.gitignore lists .env).

# api: signs login tokens (HS256, >= 32 chars)
JWT_SECRET=$(hex 32)
# shared secret of api, worker and model servers (>= 16 chars)
SERVICE_TOKEN=$(hex 32)
# bearer token protecting /metrics; Prometheus sends it (>= 16 chars)
METRICS_TOKEN=$(hex 24)
# first admin account, created by the api on an empty database
BOOTSTRAP_ADMIN_USERNAME=admin
BOOTSTRAP_ADMIN_PASSWORD=$(hex 12)

# MongoDB: root (administration only) and the application user the services use
MONGO_ROOT_PASSWORD=$(hex 24)
MONGO_APP_PASSWORD=$(hex 24)

# Postgres backing Temporal
TEMPORAL_DB_PASSWORD=$(hex 24)

# MinIO root (used only by the createbuckets job) and the services' S3 credentials
MINIO_ROOT_USER=hotswap-root
MINIO_ROOT_PASSWORD=$(hex 16)
S3_ACCESS_KEY_ID=hotswap-$(hex 6)
S3_SECRET_ACCESS_KEY=$(hex 20)

# Grafana "admin" user
GRAFANA_ADMIN_PASSWORD=$(hex 12)
ENV
mv "$tmp" "$target"
trap - EXIT
chmod 600 "$target"

echo "Wrote $target (mode 600) with these values:"
echo
grep -E '^[A-Z0-9_]+=' "$target" | sed 's/^/  /'
echo
echo "Next: docker-compose config -q && docker-compose up -d --build"
