"""Unit tests of plugins/module_utils/lab_read_host.py (the lab reader's sections of the host itself) on
temporary directories, a fake /sys/class/net and shadow file, and a throwaway supervisord (real process)
for the service section. Needs root (the lab runs as root) for the supervisord program that runs as
``nobody``.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils import lab_read_host
from ansible_collections.printops.prismadirect.plugins.module_utils.lab_layout import program_name

SALT = "00112233445566778899aabbccddeeff"
CODE = "vc-Secret-4711"
PROXY_PASSWORD = "pp-Hidden-0815"
SUPERVISORD = shutil.which("supervisord")
SUPERVISORCTL = shutil.which("supervisorctl")


def run(argv: list[str]) -> tuple[int, str, str]:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return proc.returncode, proc.stdout, proc.stderr


def document(**general) -> dict:
    return {
        "schema": 1,
        "salt": SALT,
        "general": {
            "enabled": True,
            "organization_id": "ORG-1",
            "verification_code": CODE,
            "license_server": "local",
            "license_path": None,
            **general,
        },
        "proxy": {
            "mode": "manual",
            "url": "proxy:3128",
            "domain": None,
            "username": "u",
            "password": PROXY_PASSWORD,
        },
        "remote_assistance": {"enabled": False, "until": None},
    }


# --------------------------------------------------------------------------------------------------
# settings


def test_read_settings(tmp_path):
    path = tmp_path / "remote-service.json"
    path.write_text(json.dumps(document()))
    os.chmod(path, 0o640)
    os.chown(path, 0, pwd.getpwnam("nobody").pw_gid)
    result = lab_read_host.read_settings(str(path))
    assert result["exists"] is True and result["error"] is None
    assert (result["owner"], result["mode"]) == ("root", "0640")
    assert result["group"] == "nogroup"
    assert result["document"]["general"]["verification_code"]["set"] is True
    assert CODE not in json.dumps(result)


def test_read_settings_absent_or_not_asked(tmp_path):
    for path in (str(tmp_path / "nope.json"), None):
        result = lab_read_host.read_settings(path)
        assert result == {
            "path": path,
            "exists": False,
            "owner": None,
            "group": None,
            "mode": None,
            "document": None,
            "error": None,
        }


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"schema": 1, "general": {"verification_code": "' + CODE + '"', "not valid JSON"),
        (b"\xff\xfe" + CODE.encode(), "not valid JSON"),
        ("[1, 2]", "does not hold a JSON object"),
        ('{"schema": 2, "x": "' + CODE + '"}', "schema 2"),
    ],
)
def test_read_settings_corrupt_document_is_reported_not_raised(tmp_path, content, fragment):
    path = tmp_path / "remote-service.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    result = lab_read_host.read_settings(str(path))
    assert result["exists"] is True and result["document"] is None
    assert fragment in result["error"]
    assert CODE not in json.dumps(result)


# --------------------------------------------------------------------------------------------------
# accounts


@pytest.fixture
def shadow(tmp_path):
    path = tmp_path / "shadow"
    path.write_text("root:$6$salt$roothash:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n")
    return str(path)


def test_read_accounts(shadow):
    accounts = [
        {"name": "root", "password_hash": "$6$salt$roothash"},
        {"name": "nobody", "password_hash": "$6$salt$other"},
        {"name": "no-such-user-xyz", "password_hash": "$6$x$y"},
        {"name": "daemon"},
    ]
    result = lab_read_host.read_accounts(accounts, logon_group="nogroup", shadow_path=shadow)
    assert result["root"]["exists"] is True and result["root"]["id"] == "uid:0"
    assert result["root"]["password_matches"] is True
    assert result["root"]["service_logon"] is False
    assert "root" in result["root"]["groups"] and result["root"]["group"] == "root"
    assert result["nobody"]["password_matches"] is False
    assert result["nobody"]["service_logon"] is True  # nogroup is nobody's primary group
    assert result["no-such-user-xyz"] == {
        "exists": False,
        "id": None,
        "group": None,
        "groups": [],
        "service_logon": False,
        "password_matches": False,
    }
    assert result["daemon"]["password_matches"] is None  # no candidate: not compared


def test_read_accounts_without_the_logon_group(shadow):
    result = lab_read_host.read_accounts(
        [{"name": "root"}], logon_group="no-such-group-xyz", shadow_path=shadow
    )
    assert result["root"]["service_logon"] is False


def test_service_logon_by_supplementary_membership():
    user = "printops-ut-hs"
    group = "printops-ut-logon"
    subprocess.run(["groupadd", "-r", group], check=True)
    try:
        subprocess.run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", "-G", group, user], check=True)
        try:
            result = lab_read_host.read_accounts([{"name": user}], logon_group=group)
            assert result[user]["service_logon"] is True
            assert group in result[user]["groups"]
        finally:
            subprocess.run(["userdel", user], check=False)
    finally:
        subprocess.run(["groupdel", group], check=False)


# --------------------------------------------------------------------------------------------------
# MAC addresses, TeamViewer


@pytest.fixture
def sys_class_net(tmp_path):
    root = tmp_path / "net"
    for name, address in [
        ("lo", "00:00:00:00:00:00"),
        ("eth1", "02:50:44:00:00:02"),
        ("eth0", "02:50:44:00:00:01"),
        ("dummy0", "00:00:00:00:00:00"),
        ("ib0", "80:00:02:08:fe:80:00:00:00:00:00:00:00:02:c9:03:00:0f:87:d1"),
        ("bond0", "02:50:44:00:00:01"),
    ]:
        (root / name).mkdir(parents=True)
        (root / name / "address").write_text(address + "\n")
    return str(root)


def test_mac_addresses_from_the_system(sys_class_net):
    assert lab_read_host.read_mac_addresses(None, sys_class_net) == (["025044000001", "025044000002"], [])


def test_mac_addresses_from_the_lab_file(tmp_path, sys_class_net):
    path = tmp_path / "mac_addresses"
    path.write_text("# lab host ids\n02:50:44:00:00:0A\n\n025044-00000b  # second\nnot-a-mac\n02504400000a\n")
    macs, warnings = lab_read_host.read_mac_addresses(str(path), sys_class_net)
    assert macs == ["02504400000a", "02504400000b"]
    assert warnings == [f"{path} line 5 is not a MAC address: skipped"]


def test_mac_addresses_missing_lab_file_falls_back_with_a_warning(tmp_path, sys_class_net):
    macs, warnings = lab_read_host.read_mac_addresses(str(tmp_path / "nope"), sys_class_net)
    assert macs == ["025044000001", "025044000002"] and "does not exist" in warnings[0]


def test_mac_addresses_of_this_machine_are_well_formed():
    macs, _ = lab_read_host.read_mac_addresses()
    assert all(len(mac) == 12 and mac != "000000000000" for mac in macs)


def test_teamviewer(tmp_path):
    assert lab_read_host.read_teamviewer(str(tmp_path)) == {"present": False}
    assert lab_read_host.read_teamviewer(None) == {"present": False}
    (tmp_path / "TeamViewer").mkdir()
    assert lab_read_host.read_teamviewer(str(tmp_path)) == {"present": True}


# --------------------------------------------------------------------------------------------------
# service: program name, configuration, supervisord


@pytest.mark.parametrize(
    ("host", "service", "program"),
    [
        ("prisma1", "Print ORS Service", "prisma1_print_ors_service"),
        ("p2", "My-Svc.2 (x)", "p2_my_svc_2__x_"),
    ],
)
def test_program_name(host, service, program):
    assert program_name(host, service) == program


def _conf_dir(lab_home: Path) -> Path:
    path = lab_home / "supervisor" / "conf.d"
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_service_without_a_program_file(tmp_path):
    result, warnings = lab_read_host.read_service("Print ORS Service", str(tmp_path), "h1", run)
    assert result == {
        "name": "Print ORS Service",
        "exists": False,
        "account": None,
        "start_mode": None,
        "state": None,
    }
    assert warnings == []


def test_service_file_without_its_section(tmp_path):
    (_conf_dir(tmp_path) / "h1_print_ors_service.conf").write_text("[program:other]\ncommand=/bin/true\n")
    result, warnings = lab_read_host.read_service("Print ORS Service", str(tmp_path), "h1", run)
    assert result["exists"] is False and "no [program:h1_print_ors_service]" in warnings[0]


def test_service_file_that_does_not_parse(tmp_path):
    (_conf_dir(tmp_path) / "h1_print_ors_service.conf").write_text("command=/bin/true\n")
    result, warnings = lab_read_host.read_service("Print ORS Service", str(tmp_path), "h1", run)
    assert result["exists"] is False and "cannot be parsed (MissingSectionHeaderError)" in warnings[0]


def test_service_state_unknown_when_the_lab_is_not_up(tmp_path):
    (_conf_dir(tmp_path) / "h1_print_ors_service.conf").write_text(
        "[program:h1_print_ors_service]\ncommand=/bin/sleep 100\n"
        "user = svc_x ; the ORS account\nautostart=false\n"
    )
    result, warnings = lab_read_host.read_service("Print ORS Service", str(tmp_path), "h1", run)
    assert result == {
        "name": "Print ORS Service",
        "exists": True,
        "account": "svc_x",
        "start_mode": "manual",
        "state": "unknown",
    }
    assert "does not exist" in warnings[0]


def test_supervisor_state_parsing_with_a_fake_supervisorctl(tmp_path):
    conf = tmp_path / "supervisord.conf"
    conf.write_text("")
    answers = {
        "RUNNING": ("p   RUNNING   pid 1, uptime 0:00:01\n", "running"),
        "STOPPED": ("p   STOPPED   Nov 29 10:54 AM\n", "stopped"),
        "EXITED": ("p   EXITED    Nov 29 10:54 AM\n", "stopped"),
        "FATAL": ("p   FATAL     Exited too quickly\n", "stopped"),
        "STARTING": ("p   STARTING\n", "starting"),
        "BACKOFF": ("p   BACKOFF   Exited too quickly\n", "starting"),
        "STOPPING": ("p   STOPPING\n", "stopping"),
    }
    for out, state in answers.values():
        assert lab_read_host.supervisor_state(str(conf), "p", lambda argv, out=out: (0, out, "")) == (
            state,
            None,
        )
    state, warning = lab_read_host.supervisor_state(
        str(conf), "p", lambda argv: (4, "p: ERROR (no such process)\n", "")
    )
    assert state == "stopped" and "not loaded" in warning
    state, warning = lab_read_host.supervisor_state(
        str(conf), "p", lambda argv: (4, "unix:///x/sock no such file\n", "")
    )
    assert state == "unknown" and "no such file" in warning
    state, warning = lab_read_host.supervisor_state(str(conf), "p", lambda argv: (0, "p  UNKNOWN\n", ""))
    assert state == "unknown" and "UNKNOWN" in warning


@pytest.fixture(scope="module")
def supervised_lab():
    """A lab home with a throwaway supervisord (real process) and a program running as ``nobody``."""
    if os.geteuid() != 0 or SUPERVISORD is None or SUPERVISORCTL is None:
        pytest.skip("needs root and supervisor (apt-get install supervisor)")
    home = Path(tempfile.mkdtemp(prefix="hs-lab-", dir="/tmp"))  # short: the socket path has a length limit
    conf_d = _conf_dir(home)
    sock = home / "supervisor" / "s.sock"
    (home / "supervisor" / "supervisord.conf").write_text(
        f"[unix_http_server]\nfile={sock}\nchmod=0700\n"
        f"[supervisord]\npidfile={home}/supervisor/pid\nlogfile={home}/supervisor/log\n"
        f"childlogdir={home}/supervisor\n"
        "[rpcinterface:supervisor]\n"
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
        f"[supervisorctl]\nserverurl=unix://{sock}\n"
        f"[include]\nfiles={conf_d}/*.conf\n"
    )
    (conf_d / "h1_print_ors_service.conf").write_text(
        "[program:h1_print_ors_service]\ncommand=/bin/sleep 3600\nuser=nobody\nstartsecs=0\n"
    )
    (conf_d / "h2_print_ors_service.conf").write_text(
        "[program:h2_print_ors_service]\ncommand=/bin/sleep 3600\nuser=nobody\nautostart=false\n"
    )
    proc = subprocess.Popen(
        [SUPERVISORD, "-n", "-c", str(home / "supervisor" / "supervisord.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        ctl = [SUPERVISORCTL, "-c", str(home / "supervisor" / "supervisord.conf")]
        deadline = time.monotonic() + 20
        while "RUNNING" not in run([*ctl, "status", "h1_print_ors_service"])[1]:
            assert time.monotonic() < deadline, "the throwaway supervisord did not start the program"
            time.sleep(0.2)
        yield home, ctl
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(home, ignore_errors=True)


def test_service_running_as_its_account(supervised_lab):
    home, _ = supervised_lab
    result, warnings = lab_read_host.read_service("Print ORS Service", str(home), "h1", run, SUPERVISORCTL)
    assert result == {
        "name": "Print ORS Service",
        "exists": True,
        "account": "nobody",
        "start_mode": "auto",
        "state": "running",
    }
    assert warnings == []


def test_service_stopped_and_manual(supervised_lab):
    home, _ = supervised_lab
    result, warnings = lab_read_host.read_service("Print ORS Service", str(home), "h2", run, SUPERVISORCTL)
    assert (result["start_mode"], result["state"]) == ("manual", "stopped") and warnings == []


def test_service_configured_but_not_loaded(supervised_lab):
    home, _ = supervised_lab
    path = home / "supervisor" / "conf.d" / "h3_print_ors_service.conf"
    path.write_text("[program:h3_print_ors_service]\ncommand=/bin/sleep 3600\nuser=nobody\n")
    try:
        result, warnings = lab_read_host.read_service(
            "Print ORS Service", str(home), "h3", run, SUPERVISORCTL
        )
        assert result["state"] == "stopped" and "not loaded" in warnings[0]
    finally:
        path.unlink()


def test_service_state_after_stop(supervised_lab):
    home, ctl = supervised_lab
    run([*ctl, "stop", "h1_print_ors_service"])
    try:
        result, _ = lab_read_host.read_service("Print ORS Service", str(home), "h1", run, SUPERVISORCTL)
        assert result["state"] == "stopped"
    finally:
        run([*ctl, "start", "h1_print_ors_service"])
