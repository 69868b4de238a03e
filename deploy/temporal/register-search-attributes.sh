#!/bin/sh
# One-shot job (temporalio/admin-tools): waits for the Temporal frontend and the
# namespace, then registers the custom search attributes the HotSwap deployment
# workflows upsert. Idempotent: attributes that already exist are left alone.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS must be set (host:port)}"
NAMESPACE="${TEMPORAL_NAMESPACE:-default}"
ATTRIBUTES="ModelName ModelVersion DeploymentStrategy Environment DeploymentPhase"
TYPE=Keyword

tries=0
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" 2>/dev/null | grep -q SERVING; do
  tries=$((tries + 1))
  [ "$tries" -le 120 ] || { echo "Temporal at $TEMPORAL_ADDRESS not serving after 240s" >&2; exit 1; }
  echo "waiting for Temporal at $TEMPORAL_ADDRESS ..."
  sleep 2
done

# auto-setup creates the default namespace in the background after the frontend is up.
tries=0
until temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" >/dev/null 2>&1; do
  tries=$((tries + 1))
  [ "$tries" -le 60 ] || { echo "namespace $NAMESPACE does not exist after 120s" >&2; exit 1; }
  echo "waiting for namespace $NAMESPACE ..."
  sleep 2
done

list_attributes() {
  temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE"
}

existing="$(list_attributes)"
for name in $ATTRIBUTES; do
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "search attribute $name already registered"
  else
    echo "registering search attribute $name ($TYPE) in namespace $NAMESPACE"
    # A concurrent run may have created it meanwhile; the check below decides.
    temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" \
      --namespace "$NAMESPACE" --name "$name" --type "$TYPE" || true
  fi
done

final="$(list_attributes)"
printf '%s\n' "$final"
missing=""
for name in $ATTRIBUTES; do
  printf '%s\n' "$final" | grep -qw "$name" || missing="$missing $name"
done
if [ -n "$missing" ]; then
  echo "search attributes not registered:$missing" >&2
  exit 1
fi
echo "search attributes ready: $ATTRIBUTES"
