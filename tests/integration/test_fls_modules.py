"""license_share and floating_license for real: ``ansible-playbook`` with the lab inventory (local
connection) against a throwaway lab (own home, groups and Samba port, see lab_under_test.py): real POSIX
ACLs, the lab smbd reached with ``smbclient`` as each ORS account and as another account, the lab license
server stand-in and its ``lmutil``. License variants are made with lab/backoffice/make_license.py.

The tests run in file order on one lab, fls1 for the share and the installs, fls2 for the SIGKILL test.
The accounts have random names so that no real lab user is touched; the lab is torn down afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils import flexlm
from lab_under_test import (
    REPO,
    LabUnderTest,
    PlayRun,
    lab_platform,
    play,
    playbook_command,
    processes_under,
    write_play,
)

sys.path.insert(0, str(REPO / "lab" / "backoffice"))
from make_license import make_license

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="the lab platform needs root (users, groups, daemons)"),
    pytest.mark.skipif(
        not (shutil.which("supervisord") and shutil.which("smbclient") and shutil.which("setfacl")),
        reason="supervisor, smbclient and acl are needed (lab/ctl.py up installs them)",
    ),
]

NEW = (REPO / "lab" / "licenses" / "backoffice" / "PDS-100001_20261101.lic").read_text()
SHARE = "fls1-licenses"  # \\fls1\licenses on the lab smbd


def variant(serial: str = "PDS-100001", hostid: str = "025044000001", **changes: Any) -> str:
    """A valid lab license of ``serial`` for ``hostid`` unless ``changes`` say otherwise."""
    fields = {
        "issued": date(2026, 11, 15),
        "expiry": date(2031, 12, 31),
        "maintenance_end": date(2031, 12, 31),
        "users": 30,
        **changes,
    }
    return make_license(serial, hostid, **fields)


def sha(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


@dataclass
class Env:
    lab: LabUnderTest
    passwords: dict[str, str]  # the two ORS accounts and their share passwords
    intruder: str
    vars_file: Path

    def folder(self, host: str = "fls1") -> Path:
        return self.lab.home / "hosts" / host / "licenses"

    def license(self) -> Path:
        return self.folder() / "PDS-100001.lic"

    def backups(self, host: str = "fls1", name: str = "PDS-100001.lic") -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.folder(host).glob(f"{name}.*.bak"))}

    def status(self, host: str = "fls1") -> dict[str, Any]:
        return json.loads((self.lab.home / "hosts" / host / "license_server.status.json").read_text())

    def play(self, tasks: list[dict[str, Any]], *args: str, host: str = "fls1") -> PlayRun:
        return play(self.lab, tasks, *args, host=host, vars_file=self.vars_file)

    def smbclient(
        self, user: str, password: str, commands: str, cwd: Path
    ) -> subprocess.CompletedProcess[str]:
        """``smbclient`` as ``user`` on the share (the password through the environment, not argv)."""
        argv = ["smbclient", "-p", str(self.lab.port), f"//127.0.0.1/{SHARE}", "-U", user, "-c", commands]
        environ = {"PATH": os.environ["PATH"], "PASSWD": password}
        return subprocess.run(argv, cwd=cwd, env=environ, capture_output=True, text=True, timeout=60)

    def getfacl(self, path: Path) -> list[str]:
        out = subprocess.run(["getfacl", "-p", "--omit-header", str(path)], capture_output=True, text=True)
        return [line.split("\t")[0] for line in out.stdout.splitlines() if line]


def share_task(**extra: Any) -> dict[str, Any]:
    accounts = [
        {"name": ".\\{{ it_a }}", "password": "{{ it_pw_a }}"},
        {"name": "{{ it_b }}", "password": "{{ it_pw_b }}"},
    ]
    args = {
        "path": "/licenses",
        "name": "licenses",
        "accounts": accounts,
        "description": "PRISMAdirect licenses",
    }
    return {"printops.prismadirect.license_share": {**args, **extra}}


def install(content: str, **extra: Any) -> dict[str, Any]:
    return {"printops.prismadirect.floating_license": {"content": content, "dest": "/licenses", **extra}}


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    with lab_platform() as lab:
        lab.ctl("up")
        tag = secrets.token_hex(3)
        passwords = {
            f"it_fa_{tag}": f"Fa-{secrets.token_hex(6)}",
            f"it_fb_{tag}": f"Fb-{secrets.token_hex(6)}",
        }
        intruder = f"it_fx_{tag}"
        for user in [*passwords, intruder]:
            lab.add_user(user)  # lab/ctl.py down removes the lab group's members
        smbpasswd = ["smbpasswd", "-c", str(lab.smb_conf), "-s", "-a", intruder]
        subprocess.run(smbpasswd, input="Fx-pw\nFx-pw\n", text=True, check=True, capture_output=True)
        (a, pw_a), (b, pw_b) = passwords.items()
        vars_file = lab.home.parent / "it-vars.json"
        vars_file.write_text(json.dumps({"it_a": a, "it_b": b, "it_pw_a": pw_a, "it_pw_b": pw_b}))
        vars_file.chmod(0o600)
        yield Env(lab, passwords, intruder, vars_file)


@pytest.fixture(scope="module")
def shared(env: Env) -> PlayRun:
    """fls1's license folder shared; a file made before shows that the grants reach what is there."""
    (env.folder() / "preexisting.txt").write_text("made before the share\n")
    return env.play([share_task()])


# --------------------------------------------------------------------------------------------------
# license_share


def test_license_share_converges_and_returns_the_smb_path(env: Env, shared: PlayRun):
    assert shared.proc.returncode == 0, shared.output
    (result,) = shared.results("fls1")
    assert result["changed"] is True and result["smb_path"] == "\\\\fls1\\licenses"
    assert result["accounts"] == [f".\\{user}" for user in env.passwords]
    assert not any(password in shared.output for password in env.passwords.values())


def test_license_share_second_run_and_check_mode_change_nothing(env: Env, shared: PlayRun):
    def snapshot() -> tuple[bytes, list[str], str]:
        passdb = subprocess.run(
            ["pdbedit", "-s", str(env.lab.smb_conf), "-L", "-w"], capture_output=True, text=True
        )
        return (env.lab.home / "samba" / "shares.conf").read_bytes(), env.getfacl(env.folder()), passdb.stdout

    assert env.play([share_task()]).changed("fls1") == [False]
    before = snapshot()
    checked = env.play(
        [share_task(description="changed", exclusive=True, accounts=["{{ it_a }}"])], "--check"
    )
    assert checked.proc.returncode == 0, checked.output
    assert checked.changed("fls1") == [True] and snapshot() == before


def test_getfacl_shows_the_exact_entries(env: Env, shared: PlayRun):
    a, b = env.passwords
    entries = ["user::rwx", f"user:{a}:rwx", f"user:{b}:rwx", "group::r-x", "mask::rwx", "other::---"]
    # group::r-x is the folder's owning group, root: the administrators', kept as lab/ctl.py made it
    assert sorted(env.getfacl(env.folder())) == sorted([*entries, *(f"default:{e}" for e in entries)])
    on_file = env.getfacl(env.folder() / "preexisting.txt")  # the grants reach what was there
    assert f"user:{a}:rw-" in on_file and f"user:{b}:rw-" in on_file


def test_a_folder_license_share_makes_has_exactly_the_documented_entries(env: Env, shared: PlayRun):
    a, b = env.passwords
    made, shares = env.lab.home / "hosts" / "fls1" / "licenses-made", env.lab.home / "samba" / "shares.conf"
    before = shares.read_text()
    try:
        run = env.play([share_task(path="/licenses-made", name="made")])
        assert run.changed("fls1") == [True], run.output
        entries = ["user::rwx", f"user:{a}:rwx", f"user:{b}:rwx", "group::---", "mask::rwx", "other::---"]
        assert sorted(env.getfacl(made)) == sorted([*entries, *(f"default:{e}" for e in entries)])
        assert env.play([share_task(path="/licenses-made", name="made")]).changed("fls1") == [False]
    finally:  # the other tests see fls1 with its one share
        shutil.rmtree(made, ignore_errors=True)
        shares.write_text(before)


def test_an_account_the_fls_does_not_know_fails_before_any_change(env: Env, shared: PlayRun):
    shares = env.lab.home / "samba" / "shares.conf"
    before = env.getfacl(env.folder()), shares.read_text()
    task = share_task(accounts=["{{ it_a }}", "it_nobody_here"])
    run = env.play([{**task, "ignore_errors": True}])
    (result,) = run.results("fls1")
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("accounts: .\\it_nobody_here does not exist on this host"), result["msg"]
    assert "create the account first" in result["msg"] and "setfacl" not in result["msg"]
    assert (env.getfacl(env.folder()), shares.read_text()) == before


def test_each_ors_account_can_create_read_modify_and_delete(env: Env, shared: PlayRun, tmp_path: Path):
    (a, pw_a), (b, pw_b) = env.passwords.items()
    for user, password in env.passwords.items():
        (tmp_path / f"{user}.txt").write_text(f"written by {user}\n")
        made = env.smbclient(user, password, f"put {user}.txt; get {user}.txt back-{user}.txt", tmp_path)
        assert made.returncode == 0, made.stdout + made.stderr
        assert (tmp_path / f"back-{user}.txt").read_text() == f"written by {user}\n"
    (tmp_path / "new.txt").write_text("modified\n")
    for user, password, other in ((a, pw_a, b), (b, pw_b, a)):  # each modifies the other's file
        put = env.smbclient(user, password, f"put new.txt {other}.txt; put new.txt preexisting.txt", tmp_path)
        assert put.returncode == 0, put.stdout + put.stderr
        assert (env.folder() / f"{other}.txt").read_text() == "modified\n"
    assert (env.folder() / "preexisting.txt").read_text() == "modified\n"
    gone = env.smbclient(a, pw_a, f"del {a}.txt; del {b}.txt; del preexisting.txt", tmp_path)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not any((env.folder() / name).exists() for name in (f"{a}.txt", f"{b}.txt", "preexisting.txt"))


def test_another_account_is_refused(env: Env, shared: PlayRun, tmp_path: Path):
    refused = env.smbclient(env.intruder, "Fx-pw", "ls", tmp_path)
    assert refused.returncode != 0 and "NT_STATUS_ACCESS_DENIED" in refused.stdout + refused.stderr
    a = next(iter(env.passwords))
    wrong = env.smbclient(a, "not-the-password", "ls", tmp_path)
    assert wrong.returncode != 0 and "NT_STATUS_LOGON_FAILURE" in wrong.stdout + wrong.stderr


def test_exclusive_takes_other_grants_away(env: Env, shared: PlayRun, tmp_path: Path):
    folder, shares = env.folder(), env.lab.home / "samba" / "shares.conf"
    (folder / "other.txt").write_text("x\n")
    grant = f"u:{env.intruder}:rwx,o::r-x"
    subprocess.run(["setfacl", "-R", "-m", grant, "-d", "-m", grant, str(folder)], check=True)
    shares.write_text(shares.read_text().replace("valid users = ", f"valid users = {env.intruder} "))
    assert env.smbclient(env.intruder, "Fx-pw", "ls", tmp_path).returncode == 0  # let in by hand
    kept = env.play([share_task()])
    assert kept.changed("fls1") == [False]  # not exclusive: other grants stay, everybody's with a warning
    assert any("Everyone" in w for w in kept.results("fls1")[0]["warnings"])
    run = env.play([share_task(exclusive=True)])
    assert run.changed("fls1") == [True], run.output
    assert run.results("fls1")[0]["revoked"] == [
        f"allow {env.intruder} modify (files, folders)",
        "allow Everyone read (files, folders)",
    ]
    for path in (folder, folder / "other.txt"):
        assert not any(env.intruder in e or e.endswith("other::r-x") for e in env.getfacl(path)), path
    assert env.intruder not in shares.read_text()
    assert "NT_STATUS_ACCESS_DENIED" in env.smbclient(env.intruder, "Fx-pw", "ls", tmp_path).stdout
    assert env.play([share_task()]).changed("fls1") == [False]
    (folder / "other.txt").unlink()


# --------------------------------------------------------------------------------------------------
# floating_license


def test_floating_license_installs_the_newer_license_and_the_server_rereads_it(env: Env, shared: PlayRun):
    old, reads = env.license().read_bytes(), env.status()["reads"]
    run = env.play([install(NEW, backup=2)])
    assert run.proc.returncode == 0, run.output
    (result,) = run.results("fls1")
    assert result["changed"] is True and result["reread"] == "lmreread"
    assert (result["serial"], result["expiry"], result["maintenance_end"]) == (
        "PDS-100001",
        "2030-12-31",
        "2030-12-31",
    )
    assert env.license().read_text() == NEW
    assert list(env.backups().values()) == [old] and result["backup_file"].endswith(next(iter(env.backups())))
    backup = next(env.folder().glob("PDS-100001.lic.*.bak"))
    assert stat.S_IMODE(backup.stat().st_mode) == 0o660 == stat.S_IMODE(env.license().stat().st_mode)
    status = env.status()
    assert status["reads"] > reads  # lmutil lmreread waits until the server has read the folder again
    assert {"file": "PDS-100001.lic", "sha256": sha(NEW)}.items() <= next(
        entry for entry in status["licenses"] if entry["file"] == "PDS-100001.lic"
    ).items()
    assert (
        env.play([install(NEW, backup=2)]).changed("fls1") == [False]
        and env.status()["reads"] == status["reads"]
    )
    checked = env.play([install(variant(), backup=2)], "--check")
    assert checked.changed("fls1") == [True] and env.license().read_text() == NEW


INVALID = [
    # id, content, extra options, what the message says
    ("another host id", variant(hostid="025044000002"), {}, "025044000002"),
    ("expired", variant(issued=date(2019, 1, 1), expiry=date(2020, 1, 31)), {}, "expired"),
    ("another serial", variant(serial="PDS-100002"), {"validate": {"serial": "PDS-100001"}}, "PDS-100001"),
    ("replaces another serial", variant(serial="PDS-100077"), {"filename": "PDS-100001.lic"},
     "holds the license of serial PDS-100001"),
    ("not a license", "<html><body>502 Bad Gateway</body></html>", {}, "not a valid FlexNet license"),
    ("truncated", NEW[: NEW.index("FEATURE PD_USERS") + 30], {}, "not a valid FlexNet license"),
]  # fmt: skip


def test_invalid_licenses_are_refused_and_the_license_stays_byte_identical(env: Env, shared: PlayRun):
    before, backups, reads = env.license().read_bytes(), env.backups(), env.status()["reads"]
    tasks = [{**install(content, **extra), "ignore_errors": True} for _, content, extra, _ in INVALID]
    run = env.play(tasks)
    assert run.proc.returncode == 0, run.output
    for (case, *_, message), result in zip(INVALID, run.results("fls1"), strict=True):
        assert result["failed"] is True and result["changed"] is False, case
        assert message in result["msg"] and "SIGN=" not in result["msg"], (case, result["msg"])
    assert env.license().read_bytes() == before and env.backups() == backups
    assert env.status()["reads"] == reads


def test_backups_keep_the_last_n_versions(env: Env, shared: PlayRun):
    versions = [variant(users=31), variant(users=32), variant(users=33)]
    previous = env.license().read_bytes()
    run = env.play([install(text, backup=2) for text in versions])
    assert run.changed("fls1") == [True, True, True], run.output
    assert env.license().read_text() == versions[2]
    assert sorted(env.backups().values()) == sorted([versions[0].encode(), versions[1].encode()])
    assert previous not in env.backups().values()


def test_reread_restart_restarts_the_license_server(env: Env, shared: PlayRun):
    pid, text = env.status()["pid"], variant(users=40)
    run = env.play([install(text, reread="restart")])
    assert run.proc.returncode == 0, run.output
    assert run.results("fls1")[0]["reread"] == "restart"
    deadline = time.monotonic() + 15  # supervisorctl returns once the process runs; it reads at start
    while env.status()["pid"] == pid and time.monotonic() < deadline:
        time.sleep(0.1)
    status = env.status()
    assert status["pid"] != pid and status["reason"] == "start"
    assert sha(text) in {entry["sha256"] for entry in status["licenses"]}


# --------------------------------------------------------------------------------------------------
# SIGKILL in the middle of an install (fls2, license PDS-100003)

KILLS = 12
TRIGGERS = ("at random", "at the first write", "at random", "once the backup is made")


def big(users: int) -> str:
    """A valid fls2 license of about 250 KiB (comment lines): a write that takes a moment."""
    text = variant("PDS-100003", "025044000002", users=users)
    padding = "# " + "x" * 97 + "\n"
    return text + padding * ((250 * 1024 - len(text)) // len(padding))


def proc_stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name: state, ppid, ... (empty when gone)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def children(pid: int) -> set[int]:
    entries = (int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit())
    return {child for child in entries if proc_stat(child)[1:2] == [str(pid)]}


def kill_tree(root: int) -> None:
    """SIGKILL ``root`` and every process under it at once. Killing its process group is not enough:
    ansible-playbook's workers call setsid(), so they and the modules they run have sessions of their
    own. Each is stopped first, and its children are looked for only once it is stopped (it cannot
    fork any more); then all are killed."""
    stopped: set[int] = set()
    frontier = {root}
    while frontier:
        for pid in frontier:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        for pid in frontier:
            while proc_stat(pid)[:1] not in ([], ["T"], ["Z"], ["X"]):
                time.sleep(0.001)
        stopped |= frontier
        frontier = set().union(*(children(pid) for pid in frontier)) - stopped
    for pid in stopped:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10  # a signal is delivered a moment later: until all are dead
    while (
        any(proc_stat(pid)[:1] not in ([], ["Z"], ["X"]) for pid in stopped) and time.monotonic() < deadline
    ):
        time.sleep(0.01)


def wait_for_a_write(
    folder: Path, known: set[str], proc: subprocess.Popen[bytes], seconds: float, suffix: str = ""
) -> bool:
    """Until a new entry (ending in ``suffix``) appears in ``folder``: the copy module's temp file, or a
    backup. Whether one did before the run ended."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        if any(name.endswith(suffix) for name in set(os.listdir(folder)) - known):
            return True
    return False


def test_sigkill_mid_install_leaves_the_previous_or_the_new_license(env: Env, tmp_path: Path):
    """ansible-playbook, its workers and the module processes are killed with SIGKILL (``kill_tree``)
    at random moments of an install of a 250 KiB license, as soon as the install starts writing into
    the folder, and as soon as the backup is made (the license is written next). Afterwards the license
    file is always, byte for byte, the previous or the new license and parses, no other ``*.lic`` is
    there, and every backup is a whole license."""
    folder = env.folder("fls2")
    target = folder / "PDS-100003.lic"
    texts = [big(51), big(52)]
    versions = {target.read_bytes(): "installed", texts[0].encode(): "v0", texts[1].encode(): "v1"}
    books = [write_play(tmp_path, [install(text, backup=2)], "fls2") for text in texts]
    ansible_tmp = tmp_path / "ansible-tmp"  # whatever a killed run leaves goes with tmp_path

    def start(book: Path) -> subprocess.Popen[bytes]:
        argv, environ = playbook_command(env.lab, book, vars_file=env.vars_file, json_out=False)
        environ.update(
            ANSIBLE_REMOTE_TMP=str(ansible_tmp / "remote"), ANSIBLE_LOCAL_TEMP=str(ansible_tmp / "local")
        )
        return subprocess.Popen(
            argv,
            cwd=REPO,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    began = time.monotonic()
    assert start(books[0]).wait(timeout=120) == 0
    took = time.monotonic() - began
    assert target.read_bytes() == texts[0].encode()
    seed = secrets.randbits(32)
    rng, outcomes = random.Random(seed), []
    for kill in range(KILLS):
        wanted = 1 if target.read_bytes() == texts[0].encode() else 0  # every run changes the file
        known = set(os.listdir(folder))
        proc = start(books[wanted])
        when = TRIGGERS[kill % len(TRIGGERS)]
        if when == "at random":
            time.sleep(rng.uniform(0.2, 1.1) * took)
        elif not wait_for_a_write(folder, known, proc, 2 * took, ".bak" if "backup" in when else ""):
            when = "after the run"
        kill_tree(proc.pid)
        proc.wait(timeout=30)
        where = f"kill {kill} {when} (seed {seed})"
        assert processes_under(ansible_tmp) == [], f"{where}: a process of the run survived"
        assert target.read_bytes() in versions, f"{where}: {target.name} is neither version"
        assert flexlm.parse_license(target.read_text()).serials == ("PDS-100003",), where
        assert sorted(p.name for p in folder.glob("*.lic")) == ["PDS-100003.lic"], where
        assert all(data in versions for data in env.backups("fls2", "PDS-100003.lic").values()), where
        torn = [n for n in set(os.listdir(folder)) - known if not n.endswith((".lic", ".bak"))]
        state = "new" if target.read_bytes() == texts[wanted].encode() else "old"
        outcomes.append(f"{when}: {state}" + (" (a temp file was cut off)" if torn else ""))
    print("SIGKILL outcomes:", "; ".join(outcomes))
    last = big(53)  # the next write also deletes the backups that killed runs made too many
    converged = env.play([install(last, backup=2)], host="fls2")
    assert converged.changed("fls2") == [True], converged.output
    assert env.play([install(last, backup=2)], host="fls2").changed("fls2") == [False]
    assert target.read_text() == last and len(env.backups("fls2", "PDS-100003.lic")) == 2
    # what killed runs cut off was removed by the next write: only licenses and backups are left
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(".bak")) == ["PDS-100003.lic"]
