/** The demo page's shell and styles; the app is page/demo-app.tsx (React on @socket-gateway/react), bundled to /demo/demo-app.js. */
export const DEMO_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Socket Gateway — demo</title>
<link rel="icon" href="data:,">
<style>
  :root { --bg: #f5f6f8; --panel: #fff; --ink: #1d2330; --muted: #6b7280; --line: #e3e6eb; --accent: #2563eb; --ok: #16a34a; --warn: #d97706; --bad: #dc2626; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
  header { display: flex; align-items: center; gap: 12px; padding: 12px 20px; background: var(--ink); color: #fff; }
  header h1 { font-size: 16px; margin: 0; font-weight: 600; }
  header .note { color: #aab1bd; font-size: 12px; }
  #state { margin-left: auto; padding: 2px 10px; border-radius: 999px; font-size: 12px; background: #374151; }
  #state[data-state="connected"] { background: var(--ok); }
  #state[data-state="reconnecting"], #state[data-state="connecting"] { background: var(--warn); }
  #state[data-state="closed"] { background: var(--bad); }
  #status { margin-left: 8px; font: inherit; font-size: 11px; }
  form#login { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; padding: 14px 20px; background: var(--panel); border-bottom: 1px solid var(--line); }
  label { display: flex; flex-direction: column; gap: 4px; font-size: 12px; color: var(--muted); }
  input { font: inherit; padding: 7px 10px; border: 1px solid var(--line); border-radius: 6px; background: #fff; color: var(--ink); }
  input:focus { outline: 2px solid #bfd3fb; border-color: var(--accent); }
  #token { width: 360px; }
  button { font: inherit; padding: 7px 14px; border: 0; border-radius: 6px; background: var(--accent); color: #fff; cursor: pointer; }
  button:disabled { background: #9ca3af; cursor: default; }
  main { display: grid; grid-template-columns: 1fr 240px; gap: 16px; padding: 16px 20px; height: calc(100vh - 150px); min-height: 360px; }
  section, aside { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; display: flex; flex-direction: column; min-height: 0; }
  h2 { font-size: 13px; margin: 0; padding: 10px 14px; border-bottom: 1px solid var(--line); color: var(--muted); font-weight: 600; }
  #messages { list-style: none; margin: 0; padding: 10px 14px; overflow-y: auto; flex: 1; }
  .msg { padding: 6px 0; border-bottom: 1px solid #f0f1f4; }
  .msg .who { font-weight: 600; margin-right: 6px; }
  .msg .when { color: var(--muted); font-size: 11px; }
  .msg.mine .who { color: var(--accent); }
  .msg.pending { opacity: .55; }
  .msg.pending .when::after { content: " · sending…"; }
  .msg.notice { color: var(--muted); font-style: italic; }
  #typing { min-height: 20px; padding: 0 14px; color: var(--muted); font-size: 12px; }
  form#composer { display: flex; gap: 8px; padding: 10px 14px; border-top: 1px solid var(--line); }
  #text { flex: 1; }
  #members { list-style: none; margin: 0; padding: 8px 14px; overflow-y: auto; }
  #members li { display: flex; align-items: center; gap: 8px; padding: 4px 0; }
  .dot { width: 9px; height: 9px; border-radius: 50%; background: #cbd5e1; }
  .dot.online { background: var(--ok); } .dot.away { background: var(--warn); } .dot.dnd { background: var(--bad); }
  .status { margin-left: auto; color: var(--muted); font-size: 11px; }
</style>
</head>
<body>
<div id="root"></div>
<script src="/demo/demo-app.js"></script>
</body>
</html>
`;
