#!/usr/bin/env bash
# Audits the production dependencies: fails on any high or critical advisory that SECURITY.md's
# "Audit exceptions" table does not list (by GHSA id or package name) with its reason.
#   exit 0  no unlisted high/critical finding
#   exit 1  unlisted high/critical findings (printed)
#   exit 2  the registry's audit endpoint could not be asked (never reported as a pass)
# AUDIT_JSON=<file> reads a saved `npm audit --json` report instead of asking the registry;
# AUDIT_POLICY=<file> reads the exceptions from another file (both for the script's own tests).
set -euo pipefail
cd "$(dirname "$0")/.."

report="$(mktemp)"
trap 'rm -f "$report"' EXIT
if [[ -n "${AUDIT_JSON:-}" ]]; then
  cp "$AUDIT_JSON" "$report"
else
  # npm audit exits non-zero both on findings and on errors; the report tells them apart.
  npm audit --omit=dev --json >"$report" 2>/dev/null || true
fi

node - "$report" "${AUDIT_POLICY:-SECURITY.md}" <<'NODE'
const fs = require('node:fs');
const [reportFile, policyFile] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
} catch {
  report = { message: 'npm audit printed no JSON' };
}
if (!report.vulnerabilities || !report.metadata) {
  console.error(`audit: UNAVAILABLE: the audit endpoint could not be asked (${report.message ?? report.error?.summary ?? 'unknown error'}).`);
  console.error('audit: this is not a pass; run it again where the registry audit API is reachable.');
  process.exit(2);
}
// Rows of the exceptions table: | GHSA-id or package | package | severity | reason |
const policy = fs.readFileSync(policyFile, 'utf8');
const section = policy.split(/^## /m).find((s) => s.startsWith('Audit exceptions')) ?? '';
const excepted = new Set();
for (const line of section.split('\n')) {
  const cells = line.split('|').map((c) => c.trim().replace(/`/g, ''));
  if (cells.length >= 5 && cells[1] && !/^-+$/.test(cells[1]) && cells[1] !== 'advisory') {
    excepted.add(cells[1]);
    excepted.add(cells[2]);
  }
}
const findings = [];
for (const [name, v] of Object.entries(report.vulnerabilities)) {
  if (!['high', 'critical'].includes(v.severity)) continue;
  const advisories = (v.via ?? []).filter((x) => typeof x === 'object');
  const ids = advisories.map((a) => (a.url ?? '').split('/').pop()).filter(Boolean);
  if (excepted.has(name) || ids.some((id) => excepted.has(id))) continue;
  findings.push(`${v.severity.padEnd(8)} ${name}@${v.range ?? '?'} ${ids.join(',') || `(via ${(v.via ?? []).join(', ')})`} fix: ${v.fixAvailable ? JSON.stringify(v.fixAvailable) : 'none'}`);
}
const counts = report.metadata.vulnerabilities;
console.log(`audit: production dependencies: ${counts.critical} critical, ${counts.high} high, ${counts.moderate} moderate, ${counts.low} low`);
if (findings.length) {
  console.error(`audit: ${findings.length} high/critical finding(s) not listed in SECURITY.md "Audit exceptions":`);
  for (const f of findings) console.error(`  ${f}`);
  process.exit(1);
}
console.log('audit: OK (no unlisted high or critical finding)');
NODE
