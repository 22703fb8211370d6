"""Start the real server (gunicorn, production settings) for a benchmark and stop it after."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def data_key_file() -> str:
    """The same data key as the dev/demo settings use (var/data.key), made if missing."""
    key_file = ROOT / "var" / "data.key"
    if not key_file.exists():
        import base64

        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
    return str(key_file)


def bench_redis_url() -> str:
    """Production runs with Redis as the shared cache (search's id lookups live there, across
    workers): the benchmark server does too when Redis answers (BENCH_REDIS_URL, default
    database 15 of 127.0.0.1:6379; "none" for the per-process cache)."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    if url == "none":
        return ""
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        with socket.create_connection((host, int(port or 6379)), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return url if sock.recv(16).startswith(b"+PONG") else ""
    except OSError:
        return ""


def bench_env(database_url: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "terminarz.settings.prod",
        "SECRET_KEY": "benchmark-only-secret-key",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TERMINARZ_RATELIMIT": "off",
        "TERMINARZ_DATA_KEY_FILE": data_key_file(),
        "LOG_LEVEL": "WARNING",
        "TERMINARZ_SELLER_NAME": "Benchmark Operator sp. z o.o.",
        "TERMINARZ_SELLER_NIP": "5210000374",
        "PYTHONPATH": str(ROOT / "src"),
    }
    redis_url = bench_redis_url()
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:  # production settings want REDIS_URL for several workers: say it is one process
        env.pop("REDIS_URL", None)
        env["TERMINARZ_SINGLE_PROCESS"] = "1"
    return env


def free_port() -> int:
    """A port nobody listens on now (the OS picks it), so a benchmark never measures a server
    that some earlier run left behind."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(
    database_url: str, *, port: int | None = None, workers: int = 2, threads: int = 1, timeout: int = 30
):
    port = port or free_port()
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "terminarz.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        str(timeout),
        "--log-level",
        "warning",
        "--access-logfile",
        "/dev/null",
    ]
    env = bench_env(database_url)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            if proc.poll() is not None:
                raise RuntimeError(f"benchmark server exited with {proc.returncode} before answering on {base}")
            try:
                if httpx.get(base + "/api/v1/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"benchmark server did not answer on {base} within 30 s")
        if proc.poll() is not None:  # something else answered on the port
            raise RuntimeError(f"benchmark server exited; another process answers on {base}")
        cache = "Redis " + env["REDIS_URL"] if "REDIS_URL" in env else "per-process cache (no Redis)"
        print(f"benchmark server (pid {proc.pid}) on {base}, {workers} workers, {cache}", file=sys.stderr)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def fresh_database(url: str) -> None:
    """Drop and create the benchmark's own database (connections left by an earlier run are
    closed: FORCE)."""
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    with psycopg.connect(
        host=cfg["HOST"], port=cfg["PORT"] or None, user=cfg["USER"], dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


_SYSTEM_SCOPE = None


def setup_django(database_url: str) -> None:
    os.environ.update(bench_env(database_url))
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from terminarz.core.tenancy import system_scope

    # The benchmark script reads data across tenants, like a system job, for its whole run
    # (the context manager is kept referenced: a collected one would leave the scope).
    global _SYSTEM_SCOPE
    _SYSTEM_SCOPE = system_scope()
    _SYSTEM_SCOPE.__enter__()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]
