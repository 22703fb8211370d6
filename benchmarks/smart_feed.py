"""The SMART Scheduling Links feed at scale: the whole platform's manifest and its three NDJSON
files streamed from the real server (gunicorn, production settings), on the load data of
`slot_generation.sh` (every practitioner opted in here).

Usage: python benchmarks/smart_feed.py [--database-url URL] [--rounds 3] [--days 14]
Reports, per file and round: lines, bytes, time to the first byte and to the last, and the
serving worker's peak resident memory (VmHWM) before and after; then the medians, the memory the
feed added against the bytes it sent (the ratio shows memory does not follow the size), and the
load average. Fails unless every Slot's Schedule and every Schedule's Location is in the feed."""

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import httpx

from _server import running_server, setup_django

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/terminarz_bench"


def worker_peaks(server_pid: int) -> dict[int, int]:
    """Peak resident memory (kB) of each gunicorn worker (the children of the master)."""
    peaks = {}
    for child in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split():
        status = Path(f"/proc/{child}/status").read_text()
        peaks[int(child)] = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    return peaks


def gunicorn_master(port: int) -> int:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"gunicorn" in b" ".join(cmdline) and f"127.0.0.1:{port}".encode() in cmdline:
                return int(proc.name)
    raise RuntimeError("gunicorn master not found")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()

    os.environ["TERMINARZ_SMART_DAYS"] = str(args.days)
    setup_django(args.database_url)
    from terminarz.staff.models import Practitioner

    opted = Practitioner.objects.update(in_aggregators=True)
    print(f"practitioners opted in: {opted:,}; horizon {args.days} days")
    results: dict[str, list[dict]] = {"Location": [], "Schedule": [], "Slot": []}
    # One worker: every file is served by the same process, so its peak memory is the feed's.
    # A sync worker's timeout covers the whole streamed response: give the Slot file room.
    with (
        running_server(args.database_url, workers=1, timeout=600) as base,
        httpx.Client(base_url=base, timeout=600) as client,
    ):
        master = gunicorn_master(int(base.rsplit(":", 1)[1]))
        client.get("/fhir/smart/$bulk-publish")  # warm-up (imports, connections)
        for round_no in range(args.rounds):
            manifest = client.get("/fhir/smart/$bulk-publish").json()
            ids: dict[str, set[str]] = {}
            refs: dict[str, set[str]] = {"Location": set(), "Schedule": set()}
            for item in manifest["output"]:
                path = item["url"].split("/", 3)[3]
                before = worker_peaks(master)
                t0 = time.perf_counter()
                first = None
                lines = size = 0
                seen = set()
                with client.stream("GET", "/" + path) as response:
                    assert response.status_code == 200, response.status_code
                    for line in response.iter_lines():
                        if first is None:
                            first = time.perf_counter() - t0
                        if not line:
                            continue
                        lines += 1
                        size += len(line) + 1
                        resource = json.loads(line)
                        seen.add(resource["id"])
                        if item["type"] == "Slot":
                            refs["Schedule"].add(resource["schedule"]["reference"].split("/")[1])
                        elif item["type"] == "Schedule":
                            refs["Location"].add(resource["actor"][0]["reference"].split("/")[1])
                total = time.perf_counter() - t0
                after = worker_peaks(master)
                ids[item["type"]] = seen
                row = {
                    "lines": lines,
                    "bytes": size,
                    "first_s": first or total,
                    "total_s": total,
                    "peak_before_mb": max(before.values()) / 1024,
                    "peak_after_mb": max(after.values()) / 1024,
                }
                results[item["type"]].append(row)
                print(
                    f"round {round_no + 1} {item['type']:<8} lines={lines:>9,} bytes={size / 1e6:8.1f} MB "
                    f"first byte {row['first_s'] * 1000:7.1f} ms  total {total:6.2f} s  "
                    f"worker peak {row['peak_before_mb']:.0f} → {row['peak_after_mb']:.0f} MB"
                )
            missing_schedules = refs["Schedule"] - ids["Schedule"]
            missing_locations = refs["Location"] - ids["Location"]
            if missing_schedules or missing_locations:
                raise SystemExit(
                    f"references not in the feed: {len(missing_schedules)} schedules, "
                    f"{len(missing_locations)} locations"
                )
    print("medians:")
    for kind, rows in results.items():
        total = statistics.median(row["total_s"] for row in rows)
        first = statistics.median(row["first_s"] for row in rows)
        mb = rows[-1]["bytes"] / 1e6
        print(
            f"  {kind:<8} {rows[-1]['lines']:>9,} lines {mb:8.1f} MB  first byte {first * 1000:.1f} ms  "
            f"total {total:.2f} s  ({mb / total:.1f} MB/s)"
        )
    peak = max(row["peak_after_mb"] for rows in results.values() for row in rows)
    start = results["Location"][0]["peak_before_mb"]
    sent = sum(row["bytes"] for rows in results.values() for row in rows) / 1e6
    print(
        f"worker peak memory {start:.0f} MB before the first file, {peak:.0f} MB after all "
        f"{args.rounds} rounds: +{peak - start:.0f} MB for {sent:.0f} MB sent "
        f"(ratio {(peak - start) / sent:.3f} MB per MB sent)"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
