"""A real forward proxy for integration tests: Debian's tinyproxy, on loopback, in a temp directory.

`./run test` installs tinyproxy; tests that need it are skipped with a reason when it is missing (the
``forward_proxy_factory`` fixture in ``conftest.py`` does that). The proxy's log records every CONNECT,
so a test can prove its traffic went through the proxy::

    with ForwardProxy(tmp_path / "proxy", username="alice", password="s3cret") as proxy:
        ...  # point the client at proxy.address
        assert proxy.connect_targets() == ["127.0.0.1:8443"]

The configuration file (it holds the proxy password) is mode 0600 in the work directory.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

SKIP_REASON = "tinyproxy is not installed (./run test installs it; or: apt-get install tinyproxy)"

# "CONNECT   Nov 29 10:51:07.440 [19063]: Request (file descriptor 5): CONNECT 127.0.0.1:33753 HTTP/1.1"
_CONNECT_RE = re.compile(r"Request \(file descriptor \d+\): CONNECT (\S+) HTTP/")


def tinyproxy_binary() -> str | None:
    """Path of the tinyproxy executable, or ``None`` when it is not installed."""
    return shutil.which("tinyproxy") or next(
        (path for path in ("/usr/bin/tinyproxy", "/usr/sbin/tinyproxy") if Path(path).is_file()), None
    )


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
        """``127.0.0.1:<port>``, the form the lookup's ``proxy`` option takes."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """``http://[user:password@]127.0.0.1:<port>``, the form ``https_proxy`` takes."""
        credentials = f"{self.username}:{self.password}@" if self.username else ""
        return f"http://{credentials}{self.address}"

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

    def connect_targets(self) -> list[str]:
        """The ``host:port`` of every CONNECT logged so far, in order (also refused ones, e.g. on 407)."""
        return [match.group(1) for line in self.connects() if (match := _CONNECT_RE.search(line))]

    def start(self, attempts: int = 3) -> ForwardProxy:
        """Start tinyproxy on a free port; returns when it accepts connections."""
        binary = tinyproxy_binary()
        if binary is None:
            raise FileNotFoundError(SKIP_REASON)
        self.workdir.mkdir(parents=True, exist_ok=True)
        for attempt in range(attempts):
            self.port = _free_port()
            self._process = subprocess.Popen(
                [binary, "-d", "-c", str(self._write_config())],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                self._wait_until_listening()
                return self
            except RuntimeError:
                # another process took the port between _free_port() and tinyproxy's bind(): try another
                if attempt + 1 == attempts:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_config(self) -> Path:
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
        config_path.touch(mode=0o600)
        config_path.chmod(0o600)
        config_path.write_text("\n".join(config) + "\n")
        return config_path

    def _wait_until_listening(self, timeout: float = 10.0) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"tinyproxy exited with {self._process.returncode}; see {self.log_path}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"tinyproxy did not listen on {self.address} within {timeout} s")

    def stop(self) -> None:
        """Stop this proxy's process (idempotent)."""
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self) -> ForwardProxy:
        return self.start() if self._process is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
