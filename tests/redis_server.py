"""A real redis-server for the tests (Debian's, installed by `make test`): on a free
loopback port, with a password, its files in a temporary directory, killed at the end.
A missing server fails the test that needs it, saying how to install it; never a skip."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REDIS_SERVER = "redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """`start()`, `url`, `stop()`, `restart(keep_data=False)` (a restart that loses what
    the server held: no persistence is configured)."""

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory or tempfile.mkdtemp(prefix="redis-test-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.password = secrets.token_hex(12)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        binary = shutil.which(REDIS_SERVER) or (Path("/usr/bin") / REDIS_SERVER if (Path("/usr/bin") / REDIS_SERVER).exists() else None)
        assert binary, ("redis-server is not installed: `make test` installs it (apt-get install redis-server, "
                        "as root), or install Debian's redis-server yourself")
        self.process = subprocess.Popen(
            [str(binary), "--port", str(self.port), "--bind", "127.0.0.1", "--requirepass", self.password,
             "--dir", str(self.directory), "--save", "", "--appendonly", "no", "--protected-mode", "yes",
             "--logfile", str(self.directory / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.directory / "redis.log").read_text(errors="replace")[-2000:]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
                    if b"PONG" in sock.recv(100):
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("redis-server did not answer within 20 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        """Killed and started again on the same port and password: its data is gone."""
        self.stop()
        self.start()

    def client(self):
        import redis

        return redis.Redis.from_url(self.url)
