"""The patient's search page (issue 11): what a browser transfers for it (HTML, CSS and JS,
gzip as served, and raw) and the server time of the page, of a search by specialization and of
the htmx week switch, on the real server (gunicorn, production settings) with the demo data
scaled up.

Usage:
  python benchmarks/search_page.py [--demo-scale 10] [--requests 40]
      fresh database terminarz_search_page_bench, demo data × N, static files collected"""

import argparse
import datetime as dt
import gzip
import os
import re
import statistics
import subprocess
import sys

import httpx

from _server import ROOT, bench_env, fresh_database, percentile, running_server

DB = "postgres://postgres@127.0.0.1:5432/terminarz_search_page_bench"


def manage(url: str, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=bench_env(url), check=True)


def server_ms(response: httpx.Response) -> float:
    match = re.search(r"app;dur=([\d.]+)", response.headers.get("server-timing", ""))
    if match is None:
        raise RuntimeError("no Server-Timing header")
    return float(match.group(1))


def transferred(client: httpx.Client, base: str, path: str) -> dict:
    """Bytes on the wire (gzip when the server compresses) and raw, per kind."""
    sizes = {"html": [0, 0], "css": [0, 0], "js": [0, 0]}
    page = client.get(base + path, headers={"Accept-Encoding": "gzip"})
    html = page.text
    # The page itself leaves gunicorn uncompressed; gzip here is what a proxy in front sends.
    sizes["html"] = [len(gzip.compress(page.content)), len(page.content)]
    assets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(r'<script src="([^"]+)"', html)
    for url in assets:
        kind = "css" if url.split("?")[0].endswith(".css") else "js"
        with client.stream("GET", base + url, headers={"Accept-Encoding": "gzip"}) as r:
            if r.status_code != 200:
                raise RuntimeError(f"{url} answered {r.status_code}")
            wire = sum(len(chunk) for chunk in r.iter_raw())  # as sent: compressed when served so
        sizes[kind][0] += wire
        sizes[kind][1] += len(client.get(base + url, headers={"Accept-Encoding": "identity"}).content)
    return sizes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--demo-scale", type=int, default=10)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    fresh_database(DB)
    manage(DB, "migrate", "--no-input", "-v0")
    manage(DB, "seed_demo", "--scale", str(args.demo_scale))
    manage(DB, "collectstatic", "--no-input", "-v0")
    next_week = dt.date.today() + dt.timedelta(days=7)
    paths = {
        "search page": "/",
        "search: Kardiologia": "/?q=Kardiologia",
        "week switch (htmx)": f"/?tydzien={next_week:%Y-%m-%d}",
    }
    with running_server(DB, workers=2) as base, httpx.Client(timeout=30) as client:
        sizes = transferred(client, base, "/")
        timings = {name: [] for name in paths}
        for _ in range(args.requests):
            for name, path in paths.items():
                headers = {"HX-Request": "true"} if "htmx" in name else {}
                response = client.get(base + path, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")
                timings[name].append(server_ms(response))
    load = os.getloadavg()
    print(
        f"search page transfer (on the wire / uncompressed bytes): html {sizes['html'][0]} / {sizes['html'][1]}, "
        f"css {sizes['css'][0]} / {sizes['css'][1]}, js {sizes['js'][0]} / {sizes['js'][1]}, "
        f"total {sum(v[0] for v in sizes.values())} / {sum(v[1] for v in sizes.values())}"
    )
    for name, values in timings.items():
        print(
            f"{name}: server p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 95):.1f} ms "
            f"({len(values)} requests)"
        )
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; demo data ×{args.demo_scale}")


if __name__ == "__main__":
    main()
