"""The floating_license role against the back-office simulator's faults: nothing is installed unless the
license is right, and the run says why.

Each test has a Floating License Server of its own: a lab host root in a temporary folder (its
``mac_addresses`` file gives it fls1's host id, ``025044000001``; its ``licenses/`` folder holds the
lab's first ``PDS-100001.lic``), reached with the local connection. It runs the role there with
``ansible-playbook`` (the ``latest_license`` lookup with ``on_error=report``, then the
``floating_license`` module), exactly as on any FLS. No PRISMAdirect host names this FLS, so the share
step is skipped, and there is no license server to tell (``reread: none``). The back office is the
session's simulator (``backoffice_sim``) with one fault switched on (``set_faults``), a closed port, or
a simulator of the test's own (``backoffice_sim_factory``) that serves a license made for another host id.

Every fault must leave the installed license byte-identical, and the folder as it was (no backup, no
other file), and the serial's summary line must say why. A refusal by the back office (expired
maintenance) is information: the run succeeds. Every other fault fails the run at its last task, after
the summary (``floating_license_fail_on_error``).

The last tests kill the process that writes the new license (SIGKILL: the ``ansible.builtin.copy``
module process the lab adapter runs) in the middle of writing its temporary file, and just before renaming
it over the license; the previous license must be in place and valid, and the next run installs the new one.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.flexlm import (
    parse_license,
    validate_license,
)
from lab_under_test import free_port

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("backoffice_sim_reset")]

REPO = Path(__file__).resolve().parents[2]
LAB_LICENSES = REPO / "lab" / "licenses"
SERIAL = "PDS-100001"
HOST = "flsx"
MAC = "02:50:44:00:00:01"  # host id 025044000001 (fls1's): the lab licenses of PDS-100001 are for it
PREVIOUS = (LAB_LICENSES / "installed" / f"{SERIAL}.lic").read_bytes()  # issued 2025-12-01
NEWEST = (LAB_LICENSES / "backoffice" / f"{SERIAL}_20261101.lic").read_bytes()  # issued 2026-11-01
IN_USE = f"In use: {SERIAL}.lic issued 2025-12-01 (license expiry 2029-12-31, maintenance until 2029-12-31)"

sys.path.insert(0, str(REPO / "lab" / "backoffice"))
from make_license import make_license

# --------------------------------------------------------------------------------------------------
# A Floating License Server in a temporary folder, and the role run on it


@dataclass
class Fls:
    base: Path

    @property
    def root(self) -> Path:
        return self.base / "home" / "hosts" / HOST

    @property
    def folder(self) -> Path:
        return self.root / "licenses"

    @property
    def license(self) -> Path:
        return self.folder / f"{SERIAL}.lic"

    def snapshot(self) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in sorted(self.folder.iterdir())}


@pytest.fixture
def fls(tmp_path: Path) -> Fls:
    fls = Fls(tmp_path)
    fls.folder.mkdir(parents=True)
    (fls.root / "mac_addresses").write_text(f"{MAC}\n")
    fls.license.write_bytes(PREVIOUS)
    lab_vars = {"prismadirect_lab_home": str(tmp_path / "home"), "prismadirect_lab_root": str(fls.root)}
    inventory = {
        "all": {
            "children": {"floating_license_servers": {"hosts": {HOST: {}}}},
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, **lab_vars},
        }
    }
    role_vars = {"floating_license_path": "/licenses", "floating_license_reread": "none"}
    play = {
        "name": "Refresh the licenses of the FLS",
        "hosts": "floating_license_servers",
        "gather_facts": False,
        "roles": [{"role": "printops.prismadirect.floating_license", "vars": role_vars}],
    }
    (tmp_path / "inventory.yml").write_text(json.dumps(inventory))
    (tmp_path / "playbook.yml").write_text(json.dumps([play]))
    return fls


def role_command(fls: Fls, sim, *, url: str | None = None, retries: int = 0) -> dict[str, Any]:
    """``subprocess`` arguments of ``ansible-playbook`` running the role on ``fls`` with the back
    office ``sim`` (or ``url``); the credentials go in an extra-vars file of mode 0600."""
    extra_vars = fls.base / "backoffice.json"
    extra_vars.write_text(
        json.dumps(
            {
                "prismadirect_backoffice_url": url or sim.url,
                "prismadirect_backoffice_ca_path": str(sim.ca_path),
                "prismadirect_organization_id": sim.organization_id,
                "prismadirect_verification_code": sim.verification_code,
                "prismadirect_backoffice_cache_dir": str(fls.base / "cache"),
                "prismadirect_backoffice_retries": retries,
            }
        )
    )
    extra_vars.chmod(0o600)
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(fls.base / "ansible-local"),
        ANSIBLE_REMOTE_TEMP=str(fls.base / "ansible-remote"),  # what a killed run leaves stays here
    )
    playbook = str(Path(sys.executable).parent / "ansible-playbook")
    argv = [
        playbook,
        "-i",
        str(fls.base / "inventory.yml"),
        "-e",
        f"@{extra_vars}",
        str(fls.base / "playbook.yml"),
    ]
    return {"args": argv, "cwd": REPO, "env": env, "text": True}


def run_role(fls: Fls, sim, **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(**role_command(fls, sim, **options), capture_output=True, timeout=300)


def summary_line(output: str) -> str:
    """The role's summary line of ``SERIAL``, from the ``ansible.posix.json`` report."""
    try:
        report = json.loads(output)
    except json.JSONDecodeError:
        pytest.fail(f"ansible-playbook gave no JSON report:\n{output}")
    for task in report["plays"][0]["tasks"]:
        if task["task"]["name"].endswith(" : Show the licenses of this FLS"):
            summary = task["hosts"][HOST]["msg"]
            lines = [line for line in summary if line.startswith(f"{SERIAL}: ")]
            assert len(lines) == 1, summary
            return lines[0]
    raise AssertionError(f"the role showed no summary:\n{output}")


# --------------------------------------------------------------------------------------------------
# Every fault leaves the previous license as it was, and says why


@dataclass(frozen=True)
class Fault:
    """One row of the table: how the back office misbehaves, and what the summary line must say."""

    says: tuple[str, ...]
    faults: dict[str, Any] = field(default_factory=dict)  # the simulator's switches
    back_office: str = "simulator"  # or "closed port", or "license for fls2"
    retries: int = 0
    refused: bool = False  # the back office's decision: the run succeeds


FAULTS = {
    "back office down": Fault(
        back_office="closed port",
        says=("not installed (unreachable): cannot connect to 127.0.0.1:", "Connection refused"),
    ),
    "503 burst beyond retries": Fault(
        faults={"unavailable": 5, "retry_after": 0},
        retries=2,
        says=("not installed (unavailable)", "HTTP 503", "gave up after 3 attempts"),
    ),
    "wrong checksum": Fault(
        faults={"bad_checksum": True},
        says=("not installed (checksum)", "failed its integrity check", "was not used"),
    ),
    "truncated body": Fault(
        faults={"truncate": True}, says=("not installed (truncated)", "was cut off after")
    ),
    "expired maintenance": Fault(
        faults={"expired_maintenance": [SERIAL]},
        refused=True,
        says=("refused by the back office (not_entitled)", "its maintenance ended on 2026-11-28"),
    ),
    "license for another host id": Fault(
        back_office="license for fls2",
        says=(
            "not installed (floating_license)",
            "license is bound to host id 025044000002, not to this server (MAC addresses: 025044000001)",
            "Nothing was written",
        ),
    ),
    "../ file name": Fault(
        faults={"unsafe_file_name": True},
        says=("not installed (unsafe_file_name)", "'../../PDS-100001.lic', which is not safe"),
    ),
    "license of another serial": Fault(
        faults={"wrong_serial": True},
        says=("not installed (serial_mismatch)", "is for serial(s) PDS-100002", "it was not used"),
    ),
    "not a license": Fault(
        faults={"not_a_license": True},
        says=("not installed (not_a_license)", "is not a FlexNet license", "it was not used"),
    ),
}


def licenses_for_fls2(folder: Path) -> Path:
    """A back-office folder with a newer PDS-100001 license bound to fls2's host id."""
    folder.mkdir()
    text = make_license(
        SERIAL,
        "025044000002",
        issued=date(2026, 11, 1),
        expiry=date(2030, 12, 31),
        maintenance_end=date(2030, 12, 31),
        users=25,
    )
    (folder / f"{SERIAL}_20261101.lic").write_text(text)
    return folder


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_fault_leaves_the_previous_license_and_says_why(
    name, fls, backoffice_sim, backoffice_sim_factory, tmp_path
):
    fault = FAULTS[name]
    sim, url = backoffice_sim, None
    if fault.back_office == "closed port":
        url = f"https://127.0.0.1:{free_port()}"
    elif fault.back_office == "license for fls2":
        sim = backoffice_sim_factory(licenses_dir=licenses_for_fls2(tmp_path / "backoffice"))
    sim.set_faults(**fault.faults)
    before = fls.snapshot()

    run = run_role(fls, sim, url=url, retries=fault.retries)

    output = run.stdout + run.stderr
    assert fls.snapshot() == before, f"{name}: the license folder changed\n{output}"
    assert fls.license.read_bytes() == PREVIOUS
    line = summary_line(run.stdout)
    assert line.startswith(f"{SERIAL}: ") and line.endswith(IN_USE), line
    for reason in fault.says:
        assert reason in line, f"{name}: {reason!r} is not in the summary line {line!r}"
    if fault.refused:
        assert run.returncode == 0, output
    else:
        assert run.returncode != 0, output
        assert f"1 serial(s) not installed: {SERIAL} (see the summary above)" in output
    assert sim.verification_code not in output


def test_without_a_fault_the_newest_license_is_installed_once_with_a_backup(fls, backoffice_sim):
    run = run_role(fls, backoffice_sim)

    assert run.returncode == 0, run.stdout + run.stderr
    assert fls.license.read_bytes() == NEWEST
    backups = sorted(fls.folder.glob(f"{SERIAL}.lic.*.bak"))
    assert [backup.read_bytes() for backup in backups] == [PREVIOUS]
    # the previous license was 0644 (as written here): its backup is a license like the new one, 0660
    assert [stat.S_IMODE(p.stat().st_mode) for p in (fls.license, *backups)] == [0o660, 0o660]
    line = summary_line(run.stdout)
    assert line.startswith(
        f"{SERIAL}: installed {SERIAL}.lic issued 2026-11-01 (license expiry 2030-12-31, maintenance until "
        f"2030-12-31); backup {backups[0].name}"
    ), line

    again = run_role(fls, backoffice_sim)
    assert again.returncode == 0, again.stdout + again.stderr
    assert summary_line(again.stdout).startswith(f"{SERIAL}: already current, {SERIAL}.lic issued 2026-11-01")
    assert json.loads(again.stdout)["stats"][HOST]["changed"] == 0


# --------------------------------------------------------------------------------------------------
# SIGKILL of the process writing the new license

# Loaded by every Python process of the run (PYTHONPATH), so by the module process that writes the license
# (ansible.builtin.copy, called by the lab adapter): it kills itself with SIGKILL at the chosen point of
# the write. Nothing of the collection is changed; the crash is real.
CRASH_HOOK = """
import os, shutil, signal

_license = os.environ["CRASH_LICENSE"]
_folder = os.path.dirname(_license)


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


if os.environ.get("CRASH_POINT") == "while the new license is written":
    _copyfile = shutil.copyfile

    def copyfile(src, dst, *args, **kwargs):
        src, dst = os.fsdecode(src), os.fsdecode(dst)
        if os.path.dirname(dst) == _folder and os.path.dirname(src) != _folder:  # not the backup's copy
            with open(src, "rb") as new, open(dst, "wb") as temporary:
                data = new.read()
                temporary.write(data[: len(data) // 2])
                temporary.flush()
                os.fsync(temporary.fileno())
            _die()
        return _copyfile(src, dst, *args, **kwargs)

    shutil.copyfile = copyfile

if os.environ.get("CRASH_POINT") == "before it is renamed over the license":
    _rename = os.rename

    def rename(src, dst, *args, **kwargs):
        if os.fsdecode(dst) == _license:
            _die()
        return _rename(src, dst, *args, **kwargs)

    os.rename = rename
"""


@pytest.mark.parametrize(
    "point", ["while the new license is written", "before it is renamed over the license"]
)
def test_a_kill_of_the_writing_process_leaves_the_previous_license(point, fls, backoffice_sim, tmp_path):
    hook = tmp_path / "crash-hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(CRASH_HOOK)
    command = role_command(fls, backoffice_sim)
    command["env"].update(PYTHONPATH=str(hook), CRASH_POINT=point, CRASH_LICENSE=str(fls.license))

    killed = subprocess.run(**command, capture_output=True, timeout=300)

    output = killed.stdout + killed.stderr
    assert killed.returncode != 0, output
    # The previous license is in place, whole; the backup made before the write is there too; what the
    # killed process left is a temporary file that no license server reads (not *.lic).
    assert fls.license.read_bytes() == PREVIOUS, output
    assert validate_license(
        parse_license(PREVIOUS.decode()), mac_addresses=[MAC], today=date(2026, 11, 29)
    ).ok
    assert sorted(p.name for p in fls.folder.glob("*.lic")) == [fls.license.name]
    assert [b.read_bytes() for b in fls.folder.glob(f"{SERIAL}.lic.*.bak")] == [PREVIOUS]
    left = [p for p in fls.folder.iterdir() if not p.name.endswith((".lic", ".bak"))]
    assert len(left) == 1, left  # the temporary file of the write
    expected = NEWEST[: len(NEWEST) // 2] if point == "while the new license is written" else NEWEST
    assert left[0].read_bytes() == expected
    line = summary_line(killed.stdout)
    assert line.startswith(f"{SERIAL}: not installed (floating_license): "), line
    assert "ansible.builtin.copy failed" in line, line
    assert line.endswith(IN_USE), line

    # The next run installs the newest license, and removes what the killed write left.
    again = run_role(fls, backoffice_sim)
    assert again.returncode == 0, again.stdout + again.stderr
    assert fls.license.read_bytes() == NEWEST
    assert not left[0].exists()
    assert [p for p in fls.folder.iterdir() if not p.name.endswith((".lic", ".bak"))] == []
    assert summary_line(again.stdout).startswith(f"{SERIAL}: installed {SERIAL}.lic issued 2026-11-01")


def test_only_the_copy_modules_temporary_files_of_earlier_runs_are_removed(fls, backoffice_sim):
    """Before a write: names ``copy`` makes (``tmp`` + 8 of ``[a-z0-9_]``), last written before the run
    started. A name it does not make, or a file written since (another writer's), stays."""
    an_hour_ago, in_an_hour = time.time() - 3600, time.time() + 3600
    files = {
        "tmpk2x_9q0a": (an_hour_ago, False),
        "tmpK2X9Q0AB": (an_hour_ago, True),  # mkstemp names are lowercase
        "tmp-notes.txt": (an_hour_ago, True),
        "tmpa1b2c3d4": (in_an_hour, True),  # not older than this run
    }
    for name, (mtime, _) in files.items():
        (fls.folder / name).write_text("cut off\n")
        os.utime(fls.folder / name, (mtime, mtime))

    run = run_role(fls, backoffice_sim)

    assert run.returncode == 0, run.stdout + run.stderr
    assert fls.license.read_bytes() == NEWEST
    assert {name: (fls.folder / name).exists() for name in files} == {
        n: kept for n, (_, kept) in files.items()
    }


# Loaded by every Python process of the run (PYTHONPATH): in the process of the ``ansible.builtin.stat``
# the lab adapter runs just before it writes, another writer changes the license first.
RACE_HOOK = """
import os

with open("/proc/self/cmdline", "rb") as _cmdline:
    if b"AnsiballZ_stat.py" in _cmdline.read():
        with open(os.environ["RACE_LICENSE"], "ab") as _license:
            _license.write(b"# changed by another writer\\n")
"""


def test_a_license_changed_since_the_read_is_not_replaced(fls, backoffice_sim, tmp_path):
    hook = tmp_path / "race-hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(RACE_HOOK)
    command = role_command(fls, backoffice_sim)
    command["env"].update(PYTHONPATH=str(hook), RACE_LICENSE=str(fls.license))

    raced = subprocess.run(**command, capture_output=True, timeout=300)

    output = raced.stdout + raced.stderr
    assert raced.returncode != 0, output
    changed = PREVIOUS + b"# changed by another writer\n"
    assert fls.license.read_bytes() == changed, output  # the other writer's file, not replaced
    assert sorted(p.name for p in fls.folder.iterdir()) == [fls.license.name]  # no backup, no temp file
    line = summary_line(raced.stdout)
    assert f"{SERIAL}.lic changed (sha256 " in line and "since the host was read" in line, line
    assert "Nothing was written" in line, line
