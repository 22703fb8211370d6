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


def bench_env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "terminarz.settings.prod",
        "SECRET_KEY": "benchmark-only-secret-key",
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TERMINARZ_RATELIMIT": "off",
        # Production settings want REDIS_URL for several workers; with rate limits off and nobody
        # signing in, the per-process cache changes nothing measured here (REDIS_URL still wins).
        "TERMINARZ_SINGLE_PROCESS": "1",
        "TERMINARZ_DATA_KEY_FILE": data_key_file(),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT / "src"),
    }


def free_port() -> int:
    """A port nobody listens on now (the OS picks it), so a benchmark never measures a server
    that some earlier run left behind."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(database_url: str, *, port: int | None = None, workers: int = 2, threads: int = 1):
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
        "--log-level",
        "warning",
        "--access-logfile",
        "/dev/null",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=bench_env(database_url))
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
        print(f"benchmark server (pid {proc.pid}) on {base}", file=sys.stderr)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


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
