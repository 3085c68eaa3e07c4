"""Sample values shared by the back-office unit tests: credentials, a serial, a lab license and the
``GET /v1/licenses/{serial}/latest`` body that carries it."""

from __future__ import annotations

import hashlib
from typing import Any

CODE = "s3cr3t-Verif1cation-Code"
PROXY_PASSWORD = "pr0xy-Pa55w0rd"
ORG = "PRS-TEST-ORG"
SERIAL = "PDS-100001"
NOW = 1_800_000_000.0


def license_text(serial: str = SERIAL, users: int = 25, issued: str = "01-nov-2026") -> str:
    tail = 'VENDOR_STRING="MAINTENANCE=2027-12-31" SIGN="0000 1111"'
    return (
        "SERVER this_host 025044000001 27000\n"
        "VENDOR prismad PORT=27010\n"
        f"FEATURE PRISMAdirect prismad 2026.1 31-dec-2027 1 SN={serial} ISSUED={issued} \\\n"
        f"        {tail}\n"
        f"FEATURE PD_USERS prismad 2026.1 31-dec-2027 {users} SN={serial} ISSUED={issued} \\\n"
        f"        {tail}\n"
    )


def payload(serial: str = SERIAL, content: str | None = None, **changes: Any) -> dict[str, Any]:
    content = license_text(serial) if content is None else content
    body = {
        "serial": serial,
        "issued": "2026-11-01",
        "license_expiry": "2027-12-31",
        "maintenance_end": "2027-12-31",
        "features": [
            {"name": "PRISMAdirect", "version": "2026.1", "count": 1, "expiry": "2027-12-31"},
            {"name": "PD_USERS", "version": "2026.1", "count": 25, "expiry": "2027-12-31"},
        ],
        "users": 25,
        "file_name": f"{serial}.lic",
        "sha256": hashlib.sha256(content.encode("utf-8")).hexdigest(),
        "content": content,
    }
    body.update(changes)
    return body
