"""Servers and mounts a test owns, so it can break them: a throwaway PostgreSQL cluster or redis-server, a
tiny tmpfs.

Never the shared servers: a test that needs PostgreSQL to go away starts its own cluster with ``initdb``
on a free port, stops and starts it as it likes, and removes it afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["RedisServer", "ThrowawayPostgres", "free_port", "throwaway_postgres", "tiny_tmpfs"]


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found[-1]


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class ThrowawayPostgres:
    """A PostgreSQL cluster of the test's own on 127.0.0.1 (trust auth, database ``postgres``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._pg_ctl = _pg_bin("pg_ctl")

    def init(self) -> None:
        """Create the cluster (``initdb``, no fsync: a test's data need not survive power loss)."""
        subprocess.run(
            _as_postgres([_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-N"]),
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "log")
        subprocess.run(
            _as_postgres([self._pg_ctl, "-D", str(self.data), "-o", options, "-l", log, "-w", "start"]),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        """Stop the server at once (connections in use break, as in a crash or a failover)."""
        subprocess.run(
            _as_postgres([self._pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
            check=True,
            capture_output=True,
        )

    def running(self) -> bool:
        """Return whether the server runs."""
        status = subprocess.run(
            _as_postgres([self._pg_ctl, "-D", str(self.data), "status"]), capture_output=True, check=False
        )
        return status.returncode == 0


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """Yield a running throwaway cluster; stop and delete it afterwards."""
    root = Path(tempfile.mkdtemp(prefix="omnimemory-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    server = ThrowawayPostgres(root)
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            if server.running():
                server.stop()
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def tiny_tmpfs(size: str = "512k") -> Iterator[Path]:
    """Yield a folder on a tmpfs of ``size`` (a disk that fills up); tests run as root to mount it."""
    folder = Path(tempfile.mkdtemp(prefix="omnimemory-full-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


class RedisServer:
    """A throwaway redis-server on its own port (never the shared one)."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until its log says it accepts connections."""
        binary = shutil.which("redis-server")
        assert binary is not None, "redis-server is needed (apt-get install redis-server)"
        command = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        self.proc = subprocess.Popen(
            [*command, "--dir", str(self.directory)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # blocks until redis-server logs each line
            if "Ready to accept connections" in line:
                return
        raise AssertionError(f"redis-server exited with {self.proc.wait()}")

    def stop(self) -> None:
        """Stop it (SIGTERM) and wait for the process to end."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
