#!/bin/sh
# One-shot job (minio/mc): creates the artifact bucket and the HotSwap service account
# that api, worker and model servers use (S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY),
# limited by policy to that bucket. The MinIO root credentials stay with this job.
# Idempotent: safe to run on every `docker-compose up`.
set -eu

: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${S3_ACCESS_KEY_ID:?}" "${S3_SECRET_ACCESS_KEY:?}"
# Must match the bucket in hotswap-models-policy.json and S3_BUCKET of the services.
BUCKET=hotswap-models
POLICY=hotswap-models-rw
POLICY_FILE=/setup/hotswap-models-policy.json

tries=0
until mc alias set hotswap http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -le 60 ] || { echo "MinIO not reachable at http://minio:9000" >&2; exit 1; }
  echo "waiting for MinIO ..."
  sleep 2
done

mc mb --ignore-existing "hotswap/$BUCKET"
mc anonymous set none "hotswap/$BUCKET"

mc admin policy create hotswap "$POLICY" "$POLICY_FILE"
mc admin user add hotswap "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY"
if ! out="$(mc admin policy attach hotswap "$POLICY" --user "$S3_ACCESS_KEY_ID" 2>&1)"; then
  case "$out" in
    *already*) echo "policy $POLICY already attached to $S3_ACCESS_KEY_ID" ;;
    *) echo "$out" >&2; exit 1 ;;
  esac
fi

echo "bucket $BUCKET ready; service account $S3_ACCESS_KEY_ID has policy $POLICY"
