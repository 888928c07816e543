"""The report's stylesheet, inlined into report.html (no external resources)."""

CSS = """
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#222;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1280px;margin:0 auto;padding:18px 24px 40px}
h1{font-size:26px;margin:6px 0 2px}h2{font-size:20px;margin:0 0 10px;padding-bottom:6px;border-bottom:2px solid #e2e4e8}
h3{font-size:15px;margin:18px 0 8px;color:#444}
section{background:#fff;border:1px solid #e2e4e8;border-radius:8px;padding:16px 20px;margin:16px 0}
.privacy{background:#fff4d6;border:2px solid #e0a800;border-radius:8px;padding:10px 14px;font-weight:600;color:#6b4d00}
.meta{color:#555;margin:0 0 12px}.muted{color:#666}.small{font-size:12px}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{flex:1 1 150px;background:#fff;border:1px solid #e2e4e8;border-left:6px solid #4c78a8;border-radius:8px;
padding:10px 14px}
.card b{display:block;font-size:26px}.card.pass{border-left-color:#2ca02c}.card.warn{border-left-color:#ff7f0e}
.card.fail{border-left-color:#d62728}
nav{margin:14px 0 0;font-size:13px}nav a{color:#2456a6;margin-right:14px;text-decoration:none}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 10px;border-bottom:1px solid #eceef1;vertical-align:top}
th{background:#f0f2f5;font-weight:600;white-space:nowrap}th.sorted::after{content:" \\25BE";color:#888}
tbody tr:nth-child(even){background:#fafbfc}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.badge.pass{background:#e3f4e1;color:#1e6b1e}.badge.warn{background:#fff0d9;color:#8a4b00}
.badge.fail{background:#fde2e1;color:#a31515}.badge.draft,.badge.na{background:#eceef1;color:#555}
code{background:#f0f2f5;border-radius:4px;padding:0 4px;font-size:12px}
.reason{display:block}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(370px,1fr));gap:14px}
figure{margin:0;border:1px solid #eceef1;border-radius:6px;padding:6px}
.grid svg{display:block;width:100%;height:auto}figcaption{font-size:12px;color:#555;padding:2px 4px 0}
.na-box{height:100%;min-height:80px;display:flex;align-items:center;justify-content:center;color:#777;
background:#fafbfc;border:1px dashed #ccc;border-radius:6px;padding:12px;text-align:center}
figure.wide{display:flex;gap:20px;align-items:flex-start;flex-wrap:wrap;border:0;padding:0}
figure.wide svg{max-width:100%;height:auto;border:1px solid #eceef1;border-radius:6px}
figure.wide figcaption{flex:1 1 260px;font-size:13px;padding-top:8px}
footer{color:#777;font-size:12px;text-align:center;margin-top:24px}
"""
