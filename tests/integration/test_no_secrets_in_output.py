"""No secret value leaves the places it belongs: the remote_service role run at ``-vvvv --diff``.

A throwaway lab (its own lab home under /tmp, group names, Samba port; ``lab/ctl.py up
--no-backoffice``) with one PRISMAdirect host, its own back-office simulator that accepts only this
test's verification code, and a real forward proxy (tinyproxy) that accepts only this test's proxy
user and password. The role runs against it with known secrets (verification code, ORS password,
proxy password), in the ways a secret can travel: a first converge (everything created), a run that
changes nothing, a ``--check`` run and an applied run with every secret rotated (diffs say
``(secret changed)``), and a run that fails in a module. Then:

- none of the secrets (first or rotated), nor the Basic credentials made from them, appears anywhere
  in ``ansible-playbook``'s stdout or stderr;
- none appears in any file under the lab home, nor in Ansible's local and remote temporary
  directories, except the settings store document (the verification code and the proxy password are
  its content). The ORS password appears nowhere at all: the system and Samba keep hashes of it.

Secrets reach ``ansible-playbook`` in an extra-vars file (mode 0600) outside those places.
Needs root, smbd and supervisord like the lab; tinyproxy (``./run test`` installs it).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from forward_proxy import SKIP_REASON, ForwardProxy, tinyproxy_binary
from lab_under_test import free_port, processes_under, users_in

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab platform needs root (users, groups, daemons)"),
    pytest.mark.skipif(
        not (shutil.which("smbd") or Path("/usr/sbin/smbd").exists()) or not shutil.which("supervisord"),
        reason="samba and supervisor are not installed (./run test installs them)",
    ),
    pytest.mark.skipif(tinyproxy_binary() is None, reason=SKIP_REASON),
]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LAB_CTL = REPO / "lab" / "ctl.py"
BACKOFFICE_CTL = REPO / "lab" / "backoffice" / "ctl.py"
LAB_VARS = REPO / "inventories" / "lab" / "group_vars" / "all" / "lab.yml"
ORGANIZATION = "NST-ORG"
PROXY_USER = "nstproxy"
HOST = "nsprisma1"

PLAYBOOK = """\
- name: The remote_service role, at -vvvv
  hosts: prismadirect
  gather_facts: false
  roles:
    - role: printops.prismadirect.remote_service
"""


@dataclass
class Secrets:
    verification_code: str = field(default_factory=lambda: f"nsVerify-{secrets.token_hex(8)}")
    ors_password: str = field(default_factory=lambda: f"nsOrsPw-{secrets.token_hex(8)}")
    proxy_password: str = field(default_factory=lambda: f"nsProxyPw-{secrets.token_hex(8)}")

    def values(self) -> dict[str, str]:
        return {
            "verification code": self.verification_code,
            "ORS password": self.ors_password,
            "proxy password": self.proxy_password,
            # What a client would derive from them and might log: the Basic credentials.
            "back-office Basic credentials": base64.b64encode(
                f"{ORGANIZATION}:{self.verification_code}".encode()
            ).decode(),
            "proxy Basic credentials": base64.b64encode(
                f"{PROXY_USER}:{self.proxy_password}".encode()
            ).decode(),
        }


@dataclass
class Lab:
    base: Path
    home: Path
    group: str
    port: int
    account: str
    backoffice_state: Path
    proxy: ForwardProxy
    first: Secrets
    rotated: Secrets
    runs: list[tuple[str, subprocess.CompletedProcess[str]]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PRINTOPS_LAB_HOME": str(self.home),
            "PRINTOPS_LAB_GROUP": self.group,
            "PRINTOPS_LAB_SMB_PORT": str(self.port),
        }

    @property
    def settings_document(self) -> Path:
        return self.home / "hosts" / HOST / "ProgramData" / "PRISMAdirect" / "remote-service.json"

    def all_secrets(self) -> dict[str, str]:
        values = {f"first {k}": v for k, v in self.first.values().items()}
        values.update({f"rotated {k}": v for k, v in self.rotated.values().items()})
        return values

    def run(
        self, label: str, given: Secrets, *args: str, **role_vars: Any
    ) -> subprocess.CompletedProcess[str]:
        """The role at -vvvv --diff with these secrets (in a 0600 extra-vars file) and role variables."""
        extra = {
            "remote_service_ors_account": self.account,
            "remote_service_ors_password": given.ors_password,
            "prismadirect_verification_code": given.verification_code,
            "remote_service_proxy_mode": "manual",
            "remote_service_proxy_url": self.proxy.address,
            "remote_service_proxy_username": PROXY_USER,
            "remote_service_proxy_password": given.proxy_password,
            "remote_service_remote_assistance": True,
            **role_vars,
        }
        secrets_dir = self.base / "secrets"  # not scanned: the test's own copy of the secrets
        secrets_dir.mkdir(mode=0o700, exist_ok=True)
        vars_file = secrets_dir / f"vars-{len(self.runs)}.json"
        vars_file.touch(mode=0o600)
        vars_file.write_text(json.dumps(extra))
        env = {
            **self.env,
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCAL_TEMP": str(self.base / "ansible-local-tmp"),
            "ANSIBLE_REMOTE_TMP": str(self.base / "ansible-remote-tmp"),
        }
        proc = subprocess.run(
            [
                str(BIN / "ansible-playbook"),
                "-i",
                str(self.base / "inventory.yml"),
                "-e",
                f"@{vars_file}",
                "-vvvv",
                "--diff",
                *args,
                str(self.base / "playbook.yml"),
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.runs.append((label, proc))
        return proc


def write_inventory(base: Path, account: str, url: str, ca_path: Path) -> None:
    """One PRISMAdirect host on this machine, with the lab inventory's lab variables (they read the
    PRINTOPS_LAB_* environment) and this test's back office."""
    lab_vars = yaml.safe_load(LAB_VARS.read_text())
    inventory = {
        "all": {
            "children": {"prismadirect": {"hosts": {HOST: {}}}},
            "vars": {
                **lab_vars,
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "prismadirect_backoffice_url": url,
                "prismadirect_backoffice_ca_path": str(ca_path),
                "prismadirect_organization_id": ORGANIZATION,
            },
        }
    }
    (base / "inventory.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    (base / "playbook.yml").write_text(PLAYBOOK)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """The throwaway lab, simulator and proxy; the role's runs happen in the tests, in order."""
    base = Path(tempfile.mkdtemp(prefix="printops-nst-", dir="/tmp"))
    base.chmod(0o755)  # the ORS account must traverse to its settings document
    group = f"pns{secrets.token_hex(3)}"
    first, rotated = Secrets(), Secrets()
    proxy = ForwardProxy(base / "proxy", username=PROXY_USER, password=first.proxy_password)
    lab = Lab(
        base=base,
        home=base / "lab",
        group=group,
        port=free_port(),
        account=f"{group}o1",
        backoffice_state=base / "backoffice",
        proxy=proxy,
        first=first,
        rotated=rotated,
    )
    try:
        subprocess.run(
            [
                sys.executable,
                str(BACKOFFICE_CTL),
                "start",
                *("--state-dir", str(lab.backoffice_state), "--port", "0"),
                *("--licenses", str(REPO / "lab" / "licenses" / "backoffice")),
                *("--organization", ORGANIZATION),
                "--verification-code-sha256",
                hashlib.sha256(first.verification_code.encode()).hexdigest(),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        url = (lab.backoffice_state / "url").read_text().strip()
        proxy.start()
        write_inventory(base, lab.account, url, lab.backoffice_state / "ca.pem")
        up = subprocess.run(
            [
                sys.executable,
                str(LAB_CTL),
                "up",
                "--no-backoffice",
                "--inventory",
                str(base / "inventory.yml"),
            ],
            env=lab.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert up.returncode == 0, up.stdout + up.stderr
        yield lab
    finally:
        subprocess.run(
            [sys.executable, str(LAB_CTL), "down", "--no-backoffice"],
            env=lab.env,
            capture_output=True,
            timeout=300,
            check=False,
        )
        subprocess.run(
            [sys.executable, str(BACKOFFICE_CTL), "stop", "--state-dir", str(lab.backoffice_state)],
            capture_output=True,
            timeout=60,
            check=False,
        )
        proxy.stop()
        for pid in processes_under(lab.home):  # belt and braces: nothing of this lab survives
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        for user in users_in(group):
            subprocess.run(["userdel", user], capture_output=True, check=False)
        with contextlib.suppress(KeyError):
            pwd.getpwnam(lab.account)
            subprocess.run(["userdel", lab.account], capture_output=True, check=False)
        for name in (f"{group}-logon", group):
            subprocess.run(["groupdel", name], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


def leaks(text: str, values: dict[str, str]) -> list[str]:
    return [name for name, value in values.items() if value in text]


def assert_no_secret_in_output(lab: Lab, proc: subprocess.CompletedProcess[str]) -> None:
    found = leaks(proc.stdout + proc.stderr, lab.all_secrets())
    assert not found, f"secret values in the output of ansible-playbook -vvvv: {found}"


def recap(proc: subprocess.CompletedProcess[str]) -> str:
    return next(
        (line for line in proc.stdout.splitlines() if line.startswith(f"{HOST} ") and "ok=" in line), ""
    )


# The tests run in this order and build on each other (one lab for the module).


def test_first_converge_prints_no_secret(lab: Lab):
    proc = lab.run("first converge", lab.first)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr
    assert "changed=0" not in recap(proc), recap(proc)
    assert "light green" in proc.stdout
    assert_no_secret_in_output(lab, proc)


def test_no_change_run_prints_no_secret(lab: Lab):
    proc = lab.run("no-change run", lab.first)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr
    assert "changed=0" in recap(proc), recap(proc)
    assert_no_secret_in_output(lab, proc)


def test_check_run_with_rotated_secrets_prints_no_secret(lab: Lab):
    before = lab.settings_document.read_bytes()
    proc = lab.run("check run, rotated secrets", lab.rotated, "--check")
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr
    assert "(secret changed)" in proc.stdout
    assert lab.settings_document.read_bytes() == before
    assert_no_secret_in_output(lab, proc)


def test_applied_run_with_rotated_secrets_prints_no_secret(lab: Lab):
    # The simulator and the proxy know only the first secrets: the light turns orange, reported only.
    proc = lab.run("applied run, rotated secrets", lab.rotated, remote_service_fail_on_orange=False)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr
    assert "(secret changed)" in proc.stdout
    assert "light orange" in proc.stdout
    assert_no_secret_in_output(lab, proc)


def test_failing_run_prints_no_secret(lab: Lab):
    # Remote assistance with automatic proxy detection is refused: the role fails in a module.
    proc = lab.run("failing run", lab.first, remote_service_proxy_mode="auto_detect")
    assert proc.returncode != 0
    assert "auto_detect" in proc.stdout
    assert_no_secret_in_output(lab, proc)
    restore = lab.run("restoring run", lab.first)
    assert restore.returncode == 0, restore.stdout[-6000:] + restore.stderr
    assert "light green" in restore.stdout
    assert_no_secret_in_output(lab, restore)


def test_secrets_are_stored_only_in_the_settings_document(lab: Lab):
    assert lab.runs, "the role never ran"
    values = lab.all_secrets()
    scanned, found = 0, []
    roots = [lab.home, lab.base / "ansible-local-tmp", lab.base / "ansible-remote-tmp"]
    for root in roots:
        for path in (
            (p for p in root.rglob("*") if p.is_file() and not p.is_symlink()) if root.exists() else ()
        ):
            data = path.read_bytes()
            scanned += 1
            for name, value in values.items():
                forms = (value.encode(), value.encode("utf-16-le"))
                if any(form in data for form in forms) and path != lab.settings_document:
                    found.append(f"{name} in {path}")
    assert scanned > 10, f"only {scanned} files under {lab.home}: is this the lab home?"
    assert not found, found

    # The settings document holds the current verification code and proxy password, and nothing else
    # secret: not the ORS password, not a previous secret.
    document = lab.settings_document.read_text()
    assert lab.first.verification_code in document
    assert lab.first.proxy_password in document
    assert not leaks(
        document,
        {k: v for k, v in values.items() if v not in (lab.first.verification_code, lab.first.proxy_password)},
    )

    # The ORS account's password is kept as a hash by the system, not as the value.
    shadow = Path("/etc/shadow").read_text()
    entry = next(line for line in shadow.splitlines() if line.startswith(f"{lab.account}:"))
    assert entry.split(":")[1].startswith("$"), "the ORS account has no password hash"
    assert not leaks(shadow, values)
