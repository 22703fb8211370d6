"""The frame of the stand-ins' pages (Przelewy24, Autopay): a small, self-contained HTML page
that fits a phone, with the test-gateway note on top; each stand-in brings its own colours."""

import html

CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:%(background)s;color:#1f2937;
line-height:1.4}
main{max-width:28rem;margin:0 auto;padding:1rem}
.test{background:#fef3c7;border:1px solid #d97706;border-radius:.5rem;padding:.75rem;margin:0;font-weight:600}
.card{background:#fff;border-radius:.75rem;padding:1.25rem;margin-top:1rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin:0 0 .5rem}
dl{margin:0}
dt{font-size:.875rem;color:#4b5563;margin-top:.75rem}
dd{margin:0;font-size:1.05rem;overflow-wrap:anywhere}
.amount{font-size:2rem;font-weight:700;white-space:nowrap}
form{margin-top:1.25rem}
button{display:block;width:100%%;min-height:3rem;padding:.75rem;font:inherit;font-size:1.1rem;font-weight:600;
border:0;border-radius:.5rem;margin-top:.75rem;cursor:pointer}
.pay{background:%(pay)s;color:#fff}
.reject{background:#e5e7eb;color:#111827}
button:focus-visible,a:focus-visible{outline:3px solid %(focus)s;outline-offset:2px}
.done{color:#166534;font-weight:600}
.error{color:#991b1b;font-weight:600}
a{color:%(link)s}
"""


def page(gateway: str, title: str, body: str, *, background: str, pay: str, focus: str, link: str) -> str:
    css = CSS % {"background": background, "pay": pay, "focus": focus, "link": link}
    return (
        '<!doctype html><html lang="pl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} – {gateway} (bramka testowa)</title><style>{css}</style></head>"
        f'<body><main><p class="test" role="note">Bramka testowa {gateway} – żadne pieniądze nie są pobierane</p>'
        f'<div class="card"><h1>{html.escape(title)}</h1>{body}</div></main></body></html>'
    )
