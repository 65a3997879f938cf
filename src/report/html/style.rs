//! The report's only stylesheet, inlined into `<head>`. System fonts only:
//! a report must not fetch anything, and it is read on whatever machine
//! opens the CI artifact.

/// CSS for `report.html`: cards on a light grey page, tables that scroll
/// sideways on narrow screens, charts that scale to their column.
pub const CSS: &str = r#"
:root{--fg:#1f2933;--muted:#5b6673;--line:#d8dee4;--bg:#f3f5f7;--card:#fff;--ok:#1a7f37;--ok-bg:#e6f4ea;--bad:#c62828;--bad-bg:#fdecea;--warn:#8a5a00;--warn-bg:#fff4d6;--accent:#0072b2}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:20px 16px 40px}
h1{font-size:22px;margin:0 0 4px;word-break:break-word}
h2{font-size:17px;margin:0 0 12px}
h3{font-size:14px;margin:16px 0 8px;color:var(--muted)}
a{color:var(--accent)}
section,header.run{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:0 0 16px}
header.run{display:grid;grid-template-columns:1fr auto;gap:12px 24px;align-items:start}
header.run .sub{color:var(--muted);margin:0}
.verdict{font-size:26px;font-weight:800;letter-spacing:.06em;padding:10px 22px;border-radius:8px;text-align:center;border:2px solid}
.verdict small{display:block;font-size:12px;font-weight:600;letter-spacing:0}
.verdict.passed{color:var(--ok);background:var(--ok-bg);border-color:var(--ok)}
.verdict.failed{color:var(--bad);background:var(--bad-bg);border-color:var(--bad)}
p.reason{grid-column:1/-1;margin:0;padding:8px 12px;border-radius:6px;font-weight:600}
p.reason.reason-passed{color:var(--ok);background:var(--ok-bg)}
p.reason.reason-failed{color:var(--bad);background:var(--bad-bg)}
dl.facts{grid-column:1/-1;display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:8px 16px;margin:4px 0 0}
dl.facts div{border-left:3px solid var(--line);padding-left:8px;min-width:0}
dl.facts dt{color:var(--muted);font-size:12px}
dl.facts dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
dl.facts div.bad{border-left-color:var(--bad)}
dl.facts div.bad dd{color:var(--bad)}
nav.toc{display:flex;flex-wrap:wrap;gap:4px 14px;margin:0 0 16px;font-size:13px}
.warning{background:var(--warn-bg);border:1px solid #e8b93a;border-left:6px solid #e8a200;color:#4a3200;border-radius:6px;padding:10px 14px;margin:0 0 16px}
.warning strong{color:var(--warn)}
.notes{margin:0;padding-left:20px}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600;font-size:12px;color:var(--muted);white-space:nowrap}
td.num,th.num{text-align:right;white-space:nowrap}
tbody tr:nth-child(even){background:#fafbfc}
td.rule,td.name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
tr.fail td{background:var(--bad-bg)}
.pill{display:inline-block;font-size:12px;font-weight:700;padding:1px 8px;border-radius:10px}
.pill.pass{color:var(--ok);background:var(--ok-bg)}
.pill.fail{color:#fff;background:var(--bad)}
.muted{color:var(--muted)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(520px,100%),1fr));gap:12px}
.charts figure{margin:0;min-width:0}
svg.chart{display:block;width:100%;height:auto;border:1px solid var(--line);border-radius:6px}
pre.profile{background:#f6f8fa;border:1px solid var(--line);border-radius:6px;padding:12px;overflow:auto;max-height:520px;font:12.5px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin:0}
footer{color:var(--muted);font-size:12px;text-align:center}
@media (max-width:640px){header.run{grid-template-columns:1fr}dl.facts{grid-template-columns:repeat(auto-fill,minmax(140px,1fr))}.verdict{font-size:20px}section,header.run{padding:12px}}
@media print{body{background:#fff}section,header.run{break-inside:avoid;border-color:#bbb}}
"#;
