#!/usr/bin/env node
// Prints the plain "N passed, N failed" line from jest's JSON results and exits non-zero when
// any test or suite failed, when no test ran, or when the results file is missing.
const fs = require('node:fs');
const file = process.argv[2] || 'tmp/jest-results.json';
let r;
try {
  r = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`jest results missing or unreadable (${file}): ${err.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = r.numPassedTests;
// A suite that crashed before running (compile error, missing module) counts as a failure.
const failed = r.numFailedTests + r.numRuntimeErrorTestSuites + (r.numFailedTestSuites > 0 && r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
const skipped = r.numPendingTests + r.numTodoTests;
for (const s of r.testResults) {
  if (s.status === 'failed') console.log(`FAILED suite: ${s.name}${s.message ? `\n${s.message.split('\n').slice(0, 20).join('\n')}` : ''}`);
}
if (skipped > 0) console.log(`${skipped} skipped or todo tests: none may be left behind`);
const ok = failed === 0 && passed > 0 && skipped === 0 && r.success;
console.log(`${passed} passed, ${failed + (ok || failed > 0 ? 0 : 1)} failed`);
process.exit(ok ? 0 : 1);
