"""A real forward proxy for integration tests: Debian's tinyproxy, on loopback, in a temp directory.

`./run test` installs tinyproxy; tests that need it are skipped with a reason when it is missing.
The proxy's log records every CONNECT, so a test can prove its traffic went through the proxy.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ForwardProxy:
    """One tinyproxy process; `username`/`password` turn on Basic proxy authentication."""

    workdir: Path
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    port: int = 0
    _process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "tinyproxy.log"

    def connects(self) -> list[str]:
        """The CONNECT request lines the proxy has logged so far."""
        if not self.log_path.exists():
            return []
        return [
            line for line in self.log_path.read_text().splitlines() if "Request" in line and "CONNECT" in line
        ]

    def start(self) -> ForwardProxy:
        binary = shutil.which("tinyproxy")
        if binary is None:
            raise FileNotFoundError("tinyproxy is not installed (./run test installs it)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        config = [
            "Listen 127.0.0.1",
            f"Port {self.port}",
            "Timeout 30",
            f'LogFile "{self.log_path}"',
            "LogLevel Connect",
            "MaxClients 100",
            "Allow 127.0.0.1",
        ]
        if self.username:
            config.append(f"BasicAuth {self.username} {self.password}")
        config_path = self.workdir / "tinyproxy.conf"
        config_path.write_text("\n".join(config) + "\n")
        config_path.chmod(0o600)
        self._process = subprocess.Popen(
            [binary, "-d", "-c", str(config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_listening()
        return self

    def _wait_until_listening(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"tinyproxy exited with {self._process.returncode}; see {self.log_path}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"tinyproxy did not listen on {self.address} within {timeout} s")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
