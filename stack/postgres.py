"""A throwaway PostgreSQL server from the machine's PostgreSQL binaries (the e2e tests' and the scale benchmark's)."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} not found: run scripts/system_deps.sh")
    return found


def _as_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the 'postgres' user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_server(port: int):
    """Start PostgreSQL on 127.0.0.1:``port``; yield Label Studio's database settings."""
    data = Path(tempfile.mkdtemp(prefix="pg-test-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
    run = lambda *cmd: subprocess.run(_as_owner(list(cmd)), check=True, capture_output=True, text=True)
    run(_binary("initdb"), "-D", str(data / "db"), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    run(_binary("pg_ctl"), "-D", str(data / "db"), "-l", str(data / "server.log"), "-w", "-o",
        f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start")
    try:
        yield {"DJANGO_DB": "default", "POSTGRE_NAME": "postgres", "POSTGRE_USER": "postgres",
               "POSTGRE_PASSWORD": "unused-trust-auth", "POSTGRE_HOST": "127.0.0.1", "POSTGRE_PORT": str(port)}
    finally:
        subprocess.run(_as_owner([_binary("pg_ctl"), "-D", str(data / "db"), "-m", "fast", "stop"]),
                       capture_output=True)
        shutil.rmtree(data, ignore_errors=True)
