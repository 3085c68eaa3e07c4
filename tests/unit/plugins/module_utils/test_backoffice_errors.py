"""Unit tests of plugins/module_utils/backoffice_errors.py: the error type and the redactor."""

from __future__ import annotations

import base64

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.backoffice_errors import (
    REDACTED,
    BackOfficeError,
    Redactor,
)

from .backoffice_samples import CODE, ORG


def test_error_kinds_and_round_trip() -> None:
    with pytest.raises(ValueError):
        BackOfficeError("nope", "x")
    error = BackOfficeError("not_entitled", "m", status=403, maintenance_end="2025-06-30")
    again = BackOfficeError.from_dict(error.to_dict())
    assert (again.kind, again.message, again.status, again.maintenance_end) == (
        "not_entitled",
        "m",
        403,
        "2025-06-30",
    )
    assert str(error) == "m" and "not_entitled" in repr(error)


def test_redactor_hides_every_form() -> None:
    redact = Redactor([CODE, None, "", "a b/c"])
    redact.add_basic(ORG, CODE)
    token = base64.b64encode(f"{ORG}:{CODE}".encode()).decode()
    text = f"x {CODE} y a%20b%2Fc z a+b%2Fc w a b/c {token}"
    assert redact(text) == f"x {REDACTED} y {REDACTED} z {REDACTED} w {REDACTED} {REDACTED}"
    assert CODE not in repr(redact)
