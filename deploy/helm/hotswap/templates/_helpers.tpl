{{/* Names and labels. */}}
{{- define "hotswap.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hotswap.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "hotswap.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "hotswap.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hotswap
{{- end }}

{{/* The labels that tell components apart: (list $ "api") or (list $ "model-server" "gpu"). */}}
{{- define "hotswap.componentLabels" -}}
app.kubernetes.io/component: {{ index . 1 }}
{{- if gt (len .) 2 }}
hotswap.io/pool: {{ index . 2 }}
{{- end }}
{{- end }}

{{/* Selector labels of one component (same arguments). */}}
{{- define "hotswap.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "hotswap.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
{{ include "hotswap.componentLabels" . }}
{{- end }}

{{- define "hotswap.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hotswap.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "hotswap.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* SERVING_PLACEMENT from .Values.placement; fails on a pool that modelServer.pools lacks. */}}
{{- define "hotswap.servingPlacement" -}}
{{- $pools := list }}
{{- range .Values.modelServer.pools }}{{ $pools = append $pools .name }}{{ end }}
{{- $parts := list }}
{{- range $env := keys .Values.placement | sortAlpha }}
{{- $p := index $.Values.placement $env }}
{{- if not (has $p.pool $pools) }}
{{- fail (printf "placement.%s.pool %q is not a pool of modelServer.pools (%s)" $env $p.pool (join ", " $pools)) }}
{{- end }}
{{- $parts = append $parts (printf "%s=%s:%d" $env $p.pool (int (default 0 $p.replicas))) }}
{{- end }}
{{- join "," $parts }}
{{- end }}

{{/* Checks every process needs; called once from the shared ConfigMap. */}}
{{- define "hotswap.validate" -}}
{{- if not (or .Values.mongodb.uri .Values.mongodb.existingSecret) }}
{{- fail "set mongodb.uri, or mongodb.existingSecret for a URI with credentials" }}
{{- end }}
{{- if not .Values.temporal.address }}{{ fail "set temporal.address (host:port of the Temporal frontend)" }}{{ end }}
{{- if not .Values.artifactStore.s3.endpoint }}{{ fail "set artifactStore.s3.endpoint" }}{{ end }}
{{- if not .Values.secrets.existingSecret }}{{ fail "set secrets.existingSecret: the Secret with SERVICE_TOKEN and JWT_SECRET (README.md)" }}{{ end }}
{{- if contains "." (include "hotswap.fullname" .) }}
{{- fail "the release's full name must not contain dots: model servers use their pod name as MODEL_SERVER_ID (lowercase letters, digits, dashes)" }}
{{- end }}
{{- $seen := dict }}
{{- range .Values.modelServer.pools }}
{{- if hasKey $seen .name }}{{ fail (printf "modelServer.pools: pool %q is listed twice" .name) }}{{ end }}
{{- $_ := set $seen .name true }}
{{- end }}
{{- end }}

{{/* A key of secrets.existingSecret as an env entry: (list $ "NAME" optional). */}}
{{- define "hotswap.secretEnv" -}}
{{- $root := index . 0 }}
- name: {{ index . 1 }}
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.secrets.existingSecret }}
      key: {{ index . 1 }}
      {{- if index . 2 }}
      optional: true
      {{- end }}
{{- end }}

{{/* Env every process reads from Secrets: the MongoDB URI, the service and metrics tokens, S3 credentials. */}}
{{- define "hotswap.commonEnv" -}}
{{- if .Values.mongodb.existingSecret }}
- name: MONGODB_URI
  valueFrom:
    secretKeyRef:
      name: {{ .Values.mongodb.existingSecret }}
      key: {{ .Values.mongodb.existingSecretKey }}
{{- else }}
- name: MONGODB_URI
  value: {{ .Values.mongodb.uri | quote }}
{{- end }}
{{- include "hotswap.secretEnv" (list . "SERVICE_TOKEN" false) }}
{{- include "hotswap.secretEnv" (list . "METRICS_TOKEN" true) }}
{{- include "hotswap.secretEnv" (list . "S3_ACCESS_KEY_ID" true) }}
{{- include "hotswap.secretEnv" (list . "S3_SECRET_ACCESS_KEY" true) }}
{{- end }}

{{/* envFrom of a process: the shared ConfigMap, then its own (which wins). */}}
{{- define "hotswap.envFrom" -}}
- configMapRef:
    name: {{ include "hotswap.fullname" (index . 0) }}-shared
- configMapRef:
    name: {{ index . 1 }}
{{- end }}

{{/* Pod-level settings every component shares: (list $ componentValues). */}}
{{- define "hotswap.podCommon" -}}
{{- $root := index . 0 }}{{ $c := index . 1 -}}
serviceAccountName: {{ include "hotswap.serviceAccountName" $root }}
automountServiceAccountToken: {{ $root.Values.serviceAccount.automountToken }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $c.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Container-level settings every component shares: (list $ componentValues). */}}
{{- define "hotswap.containerCommon" -}}
{{- $root := index . 0 }}{{ $c := index . 1 -}}
image: {{ include "hotswap.image" $root }}
imagePullPolicy: {{ $root.Values.image.pullPolicy }}
securityContext:
  {{- toYaml $root.Values.securityContext | nindent 2 }}
resources:
  {{- toYaml $c.resources | nindent 2 }}
{{- end }}

{{/* A ConfigMap's data from a map of environment variables (values quoted). */}}
{{- define "hotswap.envData" -}}
{{- range $k, $v := . }}
{{ $k }}: {{ toString $v | quote }}
{{- end }}
{{- end }}

{{/* PodDisruptionBudget: (list $ name selectorArgs pdbValues). */}}
{{- define "hotswap.pdb" -}}
{{- $root := index . 0 }}{{ $pdb := index . 3 -}}
{{- if $pdb.enabled }}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ index . 1 }}
  labels:
    {{- include "hotswap.labels" $root | nindent 4 }}
spec:
  {{- if hasKey $pdb "minAvailable" }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "hotswap.selectorLabels" (index . 2) | nindent 6 }}
{{- end }}
{{- end }}

{{/* HorizontalPodAutoscaler (autoscaling/v2) on CPU: (list $ name selectorArgs autoscalingValues). */}}
{{- define "hotswap.hpa" -}}
{{- $root := index . 0 }}{{ $as := index . 3 -}}
{{- if $as.enabled }}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ index . 1 }}
  labels:
    {{- include "hotswap.labels" $root | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ index . 1 }}
  minReplicas: {{ $as.minReplicas }}
  maxReplicas: {{ $as.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ $as.targetCPUUtilizationPercentage }}
  behavior:
    scaleDown:
      # A model server that goes away takes its loaded versions with it: scale down slowly.
      stabilizationWindowSeconds: {{ $as.scaleDownStabilizationSeconds | default 300 }}
      policies:
        - type: Pods
          value: 1
          periodSeconds: 60
{{- end }}
{{- end }}
