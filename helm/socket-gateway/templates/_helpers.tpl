{{/* Chart name, overridable. */}}
{{- define "socket-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Object name. A release already named like the chart (the runbooks' `socket-gateway`) is used
as is, so `kubectl -n socket-gateway get deploy/socket-gateway` works.
*/}}
{{- define "socket-gateway.fullname" -}}
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

{{- define "socket-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels that never change for the life of a release: the selector. */}}
{{- define "socket-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "socket-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Recommended labels on every object. */}}
{{- define "socket-gateway.labels" -}}
helm.sh/chart: {{ include "socket-gateway.chart" . }}
{{ include "socket-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | quote }}
app.kubernetes.io/component: gateway
app.kubernetes.io/part-of: socket-gateway
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "socket-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "socket-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Service carrying the api and metrics ports: the main one unless that one is exposed outside the cluster. */}}
{{- define "socket-gateway.internalServiceName" -}}
{{- $name := include "socket-gateway.fullname" . }}
{{- if eq .Values.service.type "ClusterIP" }}{{ $name }}{{ else }}{{ printf "%s-internal" ($name | trunc 54 | trimSuffix "-") }}{{ end }}
{{- end }}

{{- define "socket-gateway.configMapName" -}}
{{- printf "%s-config" (include "socket-gateway.fullname" .) }}
{{- end }}

{{- define "socket-gateway.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Grace period: Kubernetes counts the preStop hook inside terminationGracePeriodSeconds, then the
process needs DRAIN_DELAY_MS and DRAIN_WINDOW_MS, then time to flush and close Redis. Computed
here so that changing a drain value can never leave the kubelet killing a draining pod.
*/}}
{{- define "socket-gateway.terminationGracePeriodSeconds" -}}
{{- $d := .Values.drain }}
{{- $delay := div (add (int $d.delayMs) 999) 1000 }}
{{- $window := div (add (int $d.windowMs) 999) 1000 }}
{{- add (int $d.preStopSleepSeconds) $delay $window (int $d.marginSeconds) }}
{{- end }}

{{/*
TRANSPORTS. Unset: websocket and polling, except behind Gateway API without an explicit
sessionPersistence, whose stickiness cannot be relied on (experimental field, dropped by
standard-channel CRDs, ignored by some implementations): WebSocket needs none.
*/}}
{{- define "socket-gateway.transports" -}}
{{- if .Values.config.transports }}
{{- join "," .Values.config.transports }}
{{- else if and (eq .Values.routing.provider "gateway-api") (not .Values.routing.sessionPersistence) }}
{{- "websocket" }}
{{- else }}
{{- "websocket,polling" }}
{{- end }}
{{- end }}

{{/* True when clients may fall back to HTTP long-polling, which needs every request of a session on one pod. */}}
{{- define "socket-gateway.usesPolling" -}}
{{- if has "polling" (splitList "," (include "socket-gateway.transports" .)) }}true{{- end }}
{{- end }}

{{/* Whether the routing layer should pin a client to a pod (Gateway API: only when sessionPersistence is asked for). */}}
{{- define "socket-gateway.sticky" -}}
{{- if eq .Values.routing.provider "gateway-api" }}
{{- if .Values.routing.sessionPersistence }}true{{- end }}
{{- else if .Values.routing.stickySessions }}true{{- end }}
{{- end }}

{{/* Public path of Socket.IO; the only path routed publicly. */}}
{{- define "socket-gateway.publicPath" -}}
{{- printf "%ssocket.io/" .Values.routing.path }}
{{- end }}

{{/* Port the webhook URL is reached on (explicit, else the scheme's default). */}}
{{- define "socket-gateway.webhookPort" -}}
{{- $u := urlParse .Values.config.webhookUrl }}
{{- $hostPort := splitList ":" $u.host }}
{{- if gt (len $hostPort) 1 }}{{ last $hostPort }}{{ else if eq $u.scheme "https" }}443{{ else }}80{{ end }}
{{- end }}

{{/* Refuses value combinations that deploy but cannot work. */}}
{{- define "socket-gateway.validate" -}}
{{- if and (include "socket-gateway.usesPolling" .) (eq .Values.routing.provider "gateway-api") (not .Values.routing.sessionPersistence) }}
{{- fail "config.transports includes polling, which needs routing.sessionPersistence=true with routing.provider=gateway-api (check your Gateway supports the experimental field), or leave config.transports empty for WebSocket-only" }}
{{- end }}
{{- if and (include "socket-gateway.usesPolling" .) (not .Values.routing.stickySessions) (hasPrefix "ingress-" .Values.routing.provider) }}
{{- fail "routing.stickySessions=false requires config.transports=[websocket]: polling requests of one session must reach the same pod" }}
{{- end }}
{{- if and (eq .Values.config.engine "memory") (or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1)) }}
{{- fail "config.engine=memory keeps state inside one pod: set replicaCount=1 and autoscaling.enabled=false, or use config.engine=redis" }}
{{- end }}
{{- if and (eq .Values.config.engine "memory") (ne .Values.config.redisTopology.mode "standalone") }}
{{- fail (printf "config.engine=memory runs without Redis: leave config.redisTopology.mode at standalone (it is %s), or use config.engine=redis" .Values.config.redisTopology.mode) }}
{{- end }}
{{- if and (eq .Values.routing.cookieSameSite "None") (not .Values.routing.tls.enabled) (ne .Values.routing.provider "none") }}
{{- fail "routing.cookieSameSite=None needs routing.tls.enabled: browsers drop SameSite=None cookies that are not Secure" }}
{{- end }}
{{- if and (ne .Values.routing.provider "none") (not .Values.routing.host) }}
{{- fail (printf "routing.host is required when routing.provider=%s" .Values.routing.provider) }}
{{- end }}
{{- if and (eq .Values.routing.provider "gateway-api") (not .Values.routing.gatewayApi.parentRefs) }}
{{- fail "routing.gatewayApi.parentRefs must name at least one Gateway when routing.provider=gateway-api" }}
{{- end }}
{{- if and .Values.routing.tls.enabled (hasPrefix "ingress-" .Values.routing.provider) (not .Values.routing.tls.secretName) }}
{{- fail "routing.tls.secretName is required for TLS on an Ingress" }}
{{- end }}
{{- with .Values.config.redisTopology }}
{{- if and (eq .mode "sentinel") (or (not .sentinels) (not .sentinelName)) }}
{{- fail "config.redisTopology.sentinels and sentinelName are required when config.redisTopology.mode=sentinel" }}
{{- end }}
{{- if and (eq .mode "cluster") (not .clusterNodes) }}
{{- fail "config.redisTopology.clusterNodes is required when config.redisTopology.mode=cluster" }}
{{- end }}
{{- if and (eq .mode "cluster") (ne $.Values.config.redisAdapter "sharded") }}
{{- fail "config.redisAdapter must be sharded when config.redisTopology.mode=cluster" }}
{{- end }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- end }}

{{/*
Alertmanager matcher strings (`name=~"value"`) of alerts/alertmanager.yaml as AlertmanagerConfig
matcher objects.
*/}}
{{- define "socket-gateway.amMatchers" -}}
{{- $re := "^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)\"(.*)\"$" }}
{{- range $m := . }}
{{- if not (regexMatch $re $m) }}
{{- fail (printf "alerts/alertmanager.yaml: matcher %q is not name<op>\"value\"" $m) }}
{{- end }}
- name: {{ regexReplaceAll $re $m "${1}" }}
  matchType: {{ regexReplaceAll $re $m "${2}" | quote }}
  value: {{ regexReplaceAll $re $m "${3}" | quote }}
{{- end }}
{{- end }}
