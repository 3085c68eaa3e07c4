"""The lab adapter's pure parts (plugins/plugin_utils/_platform_lab.py); its module calls are tested
through the action plugins (tests/unit/plugins/action)."""

from __future__ import annotations

import pytest
from ansible_collections.printops.prismadirect.plugins.plugin_utils._platform_lab import (
    lab_password_hash,
    program_section,
)


def test_the_lab_password_hash_is_the_same_on_every_run_and_differs_by_user_and_password():
    first = lab_password_hash("svc_ors_p1", "Pw-1")
    assert first == lab_password_hash("svc_ors_p1", "Pw-1")
    assert first.startswith("$6$") and "Pw-1" not in first
    assert len({first, lab_password_hash("svc_ors_p2", "Pw-1"), lab_password_hash("svc_ors_p1", "Pw-2")}) == 3


def test_the_lab_password_hash_is_a_crypt_hash_of_the_password():
    crypt = pytest.importorskip("crypt", reason="the stdlib crypt module is gone in Python 3.13")
    hashed = lab_password_hash("svc_ors_p1", "Pw-1")
    assert crypt.crypt("Pw-1", hashed) == hashed


def test_program_section():
    text = program_section("/srv/lab", "/srv/lab/hosts/p1", "p1", "p1_print_ors_service", "svc", False)
    assert text.splitlines() == [
        "[program:p1_print_ors_service]",
        "command = /usr/bin/python3 -u /srv/lab/bin/print_ors_service.py --host p1 --root /srv/lab/hosts/p1",
        "user = svc",
        "autostart = false",
        "autorestart = true",
        "redirect_stderr = true",
        "stdout_logfile = /srv/lab/supervisor/log/p1_print_ors_service.log",
    ]
