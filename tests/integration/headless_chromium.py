"""Debian's Chromium, headless, for tests that look at a page: install it when missing, take a screenshot,
dump the DOM, and read a PNG without Pillow.

``ensure_chromium()`` installs the Debian package ``chromium`` with apt-get when it is missing, the way
``./run``'s ``apt_ensure`` does it (a temporary ``policy-rc.d`` forbids starting services, then goes),
and returns the binary's path. ``./run test`` installs it itself; this keeps a single test file
runnable on its own.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "chromium"
POLICY = Path("/usr/sbin/policy-rc.d")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars")


def _installed() -> str | None:
    return shutil.which("chromium")


def ensure_chromium() -> str:
    """The path of ``chromium``; installs the Debian package first when it is missing."""
    found = _installed()
    if found:
        return found
    ours = False
    if not POLICY.exists():  # no systemd here: maintainer scripts must not start daemons
        POLICY.write_text("#!/bin/sh\nexit 101\n")
        POLICY.chmod(0o755)
        ours = True
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        for argv in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", PACKAGE],
        ):
            proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
            if proc.returncode != 0:
                raise RuntimeError(
                    f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}"
                )
    finally:
        if ours:
            POLICY.unlink(missing_ok=True)
    found = _installed()
    if not found:
        raise RuntimeError(f"the Debian package {PACKAGE} is installed but there is no chromium command")
    return found


def _run(binary: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HOME=os.environ.get("HOME") or "/root")
    proc = subprocess.run([binary, *FLAGS, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"chromium {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def screenshot(binary: str, page: Path, png: Path, width: int = 1400, height: int = 900) -> Path:
    _run(binary, f"--screenshot={png}", f"--window-size={width},{height}", page.resolve().as_uri())
    return png


def dump_dom(binary: str, page: Path) -> str:
    """The page's DOM after load (scripts run), as HTML text."""
    return _run(binary, "--dump-dom", page.resolve().as_uri()).stdout


@dataclass
class Image:
    """A decoded 8-bit RGB(A) PNG: ``pixels[y][x]`` is an (r, g, b) tuple."""

    width: int
    height: int
    pixels: list[list[tuple[int, int, int]]]

    def colors(self) -> set[tuple[int, int, int]]:
        return {pixel for row in self.pixels for pixel in row}

    def has_color(self, rgb: tuple[int, int, int], tolerance: int = 6, at_least: int = 20) -> bool:
        """Whether at least ``at_least`` pixels are within ``tolerance`` of ``rgb`` on every channel."""
        count = 0
        for row in self.pixels:
            for pixel in row:
                if all(abs(a - b) <= tolerance for a, b in zip(pixel, rgb, strict=True)):
                    count += 1
                    if count >= at_least:
                        return True
        return False


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def read_png(data: bytes) -> Image:
    """Decode an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG: bad signature")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("not a PNG: no IHDR")
    width, height, depth, color_type, _, _, interlace = header
    if depth != 8 or color_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, color type {color_type}, interlace {interlace}")
    bpp = 3 if color_type == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    previous, pixels = bytearray(stride), []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                line[i] = (line[i] + _paeth(left, up, corner)) & 0xFF
        pixels.append([tuple(line[x : x + 3]) for x in range(0, stride, bpp)])
        previous = line
    return Image(width, height, pixels)
