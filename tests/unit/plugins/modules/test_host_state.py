"""Unit tests of plugins/modules/host_state.py (the lab reader): its plain functions on temporary
directories, a fake /sys/class/net and shadow file, and a throwaway supervisord (real process) for the
service section. Needs root (the lab runs as root) for the supervisord program that runs as ``nobody``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from ansible_collections.printops.prismadirect.plugins.modules import host_state

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


def expected_fingerprint(secret: str) -> str:
    return hmac.new(bytes.fromhex(SALT), secret.encode(), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------------------------------
# settings


def test_read_settings(tmp_path):
    path = tmp_path / "remote-service.json"
    path.write_text(json.dumps(document()))
    os.chmod(path, 0o640)
    os.chown(path, 0, pwd.getpwnam("nobody").pw_gid)
    result = host_state.read_settings(str(path))
    assert result["exists"] is True and result["error"] is None
    assert (result["owner"], result["mode"]) == ("root", "0640")
    assert result["group"] == "nogroup"
    assert result["document"]["general"]["verification_code"]["set"] is True
    assert CODE not in json.dumps(result)


def test_read_settings_absent_or_not_asked(tmp_path):
    for path in (str(tmp_path / "nope.json"), None):
        result = host_state.read_settings(path)
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
    result = host_state.read_settings(str(path))
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
    result = host_state.read_accounts(accounts, logon_group="nogroup", shadow_path=shadow)
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
    result = host_state.read_accounts([{"name": "root"}], logon_group="no-such-group-xyz", shadow_path=shadow)
    assert result["root"]["service_logon"] is False


def test_service_logon_by_supplementary_membership():
    user = "printops-ut-hs"
    group = "printops-ut-logon"
    subprocess.run(["groupadd", "-r", group], check=True)
    try:
        subprocess.run(["useradd", "-r", "-M", "-s", "/usr/sbin/nologin", "-G", group, user], check=True)
        try:
            result = host_state.read_accounts([{"name": user}], logon_group=group)
            assert result[user]["service_logon"] is True
            assert group in result[user]["groups"]
        finally:
            subprocess.run(["userdel", user], check=False)
    finally:
        subprocess.run(["groupdel", group], check=False)


# --------------------------------------------------------------------------------------------------
# licenses


def test_read_licenses_lists_lic_files_with_hash_and_text(tmp_path):
    folder = tmp_path / "licenses"
    folder.mkdir()
    (folder / "b.lic").write_text("SERVER this_host 025044000001\n")
    (folder / "A.LIC").write_text("FEATURE x\n")
    (folder / "notes.txt").write_text("no")
    (folder / "dir.lic").mkdir()
    (folder / "big.lic").write_bytes(b"x" * 300)
    licenses, warnings = host_state.read_licenses(str(folder), str(tmp_path), text_limit=100)
    assert [item["name"] for item in licenses] == ["A.LIC", "b.lic", "big.lic"]
    b = licenses[1]
    assert b["size"] == 30 and b["text"] == "SERVER this_host 025044000001\n"
    assert b["sha256"] == hashlib.sha256(b"SERVER this_host 025044000001\n").hexdigest()
    assert licenses[2]["text"] is None and licenses[2]["size"] == 300
    assert len(warnings) == 1 and "big.lic" in warnings[0] and "300 bytes" in warnings[0]


def test_read_licenses_default_limit_is_256_kib(tmp_path):
    (tmp_path / "l").mkdir()
    (tmp_path / "l" / "ok.lic").write_bytes(b"a" * 256 * 1024)
    (tmp_path / "l" / "too.lic").write_bytes(b"a" * (256 * 1024 + 1))
    licenses, warnings = host_state.read_licenses(str(tmp_path / "l"), str(tmp_path))
    assert [item["text"] is None for item in licenses] == [False, True]
    assert len(warnings) == 1


def test_read_licenses_without_a_path_or_folder(tmp_path):
    assert host_state.read_licenses(None, str(tmp_path)) == ([], [])
    licenses, warnings = host_state.read_licenses(str(tmp_path / "missing"), str(tmp_path))
    assert licenses == [] and "does not exist" in warnings[0]


@pytest.fixture
def lab_share(tmp_path):
    folder = tmp_path / "hosts" / "fls1" / "licenses"
    (folder / "sub").mkdir(parents=True)
    (folder / "PDS-1.lic").write_text("one")
    (folder / "sub" / "PDS-2.lic").write_text("two")
    samba = tmp_path / "samba"
    samba.mkdir()
    (samba / "shares.conf").write_text(
        "# lab shares\n[global-ish]\n   comment = x\n"
        f"[FLS1-Licenses]\n   comment = licenses of fls1\n   path = {folder}\n   read only = no\n"
        "; a comment\n[other]\npath=/nonexistent\n"
    )
    return tmp_path


@pytest.mark.parametrize(
    ("unc", "names"),
    [
        ("//fls1/licenses", ["PDS-1.lic"]),
        ("\\\\FLS1\\LICENSES", ["PDS-1.lic"]),
        ("\\\\fls1.lab.example\\licenses\\sub", ["PDS-2.lic"]),
        ("//Fls1/Licenses/sub/", ["PDS-2.lic"]),
    ],
)
def test_read_licenses_resolves_lab_smb_paths(lab_share, unc, names):
    """\\\\HOST\\SHARE is the lab smbd's section [HOST-SHARE] (first DNS label), case-insensitively."""
    licenses, warnings = host_state.read_licenses(unc, str(lab_share))
    assert [item["name"] for item in licenses] == names and warnings == []


@pytest.mark.parametrize(
    ("unc", "fragment"),
    [
        ("//fls1/unknown", "no share [fls1-unknown]"),
        ("//fls2/licenses", "no share [fls2-licenses]"),  # the share of another host
        ("//fls1/fls1-licenses", "no share [fls1-fls1-licenses]"),
        ("//fls1", "is not \\\\host\\share"),
        ("//fls1/licenses/../..", "must not contain"),
    ],
)
def test_read_licenses_unresolvable_smb_paths_warn(lab_share, unc, fragment):
    licenses, warnings = host_state.read_licenses(unc, str(lab_share))
    assert licenses == [] and fragment in warnings[0]


def test_read_licenses_smb_path_without_the_lab_samba_config(tmp_path):
    licenses, warnings = host_state.read_licenses("//h/s", str(tmp_path))
    assert licenses == [] and "shares.conf" in warnings[0]


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
    assert host_state.read_mac_addresses(None, sys_class_net) == (["025044000001", "025044000002"], [])


def test_mac_addresses_from_the_lab_file(tmp_path, sys_class_net):
    path = tmp_path / "mac_addresses"
    path.write_text("# lab host ids\n02:50:44:00:00:0A\n\n025044-00000b  # second\nnot-a-mac\n02504400000a\n")
    macs, warnings = host_state.read_mac_addresses(str(path), sys_class_net)
    assert macs == ["02504400000a", "02504400000b"]
    assert warnings == [f"{path} line 5 is not a MAC address: skipped"]


def test_mac_addresses_missing_lab_file_falls_back_with_a_warning(tmp_path, sys_class_net):
    macs, warnings = host_state.read_mac_addresses(str(tmp_path / "nope"), sys_class_net)
    assert macs == ["025044000001", "025044000002"] and "does not exist" in warnings[0]


def test_mac_addresses_of_this_machine_are_well_formed():
    macs, _ = host_state.read_mac_addresses()
    assert all(len(mac) == 12 and mac != "000000000000" for mac in macs)


def test_teamviewer(tmp_path):
    assert host_state.read_teamviewer(str(tmp_path)) == {"present": False}
    assert host_state.read_teamviewer(None) == {"present": False}
    (tmp_path / "TeamViewer").mkdir()
    assert host_state.read_teamviewer(str(tmp_path)) == {"present": True}


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
    assert host_state.program_name(host, service) == program


def _conf_dir(lab_home: Path) -> Path:
    path = lab_home / "supervisor" / "conf.d"
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_service_without_a_program_file(tmp_path):
    result, warnings = host_state.read_service("Print ORS Service", str(tmp_path), "h1", run)
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
    result, warnings = host_state.read_service("Print ORS Service", str(tmp_path), "h1", run)
    assert result["exists"] is False and "no [program:h1_print_ors_service]" in warnings[0]


def test_service_file_that_does_not_parse(tmp_path):
    (_conf_dir(tmp_path) / "h1_print_ors_service.conf").write_text("command=/bin/true\n")
    result, warnings = host_state.read_service("Print ORS Service", str(tmp_path), "h1", run)
    assert result["exists"] is False and "cannot be parsed (MissingSectionHeaderError)" in warnings[0]


def test_service_state_unknown_when_the_lab_is_not_up(tmp_path):
    (_conf_dir(tmp_path) / "h1_print_ors_service.conf").write_text(
        "[program:h1_print_ors_service]\ncommand=/bin/sleep 100\n"
        "user = svc_x ; the ORS account\nautostart=false\n"
    )
    result, warnings = host_state.read_service("Print ORS Service", str(tmp_path), "h1", run)
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
        assert host_state.supervisor_state(str(conf), "p", lambda argv, out=out: (0, out, "")) == (
            state,
            None,
        )
    state, warning = host_state.supervisor_state(
        str(conf), "p", lambda argv: (4, "p: ERROR (no such process)\n", "")
    )
    assert state == "stopped" and "not loaded" in warning
    state, warning = host_state.supervisor_state(
        str(conf), "p", lambda argv: (4, "unix:///x/sock no such file\n", "")
    )
    assert state == "unknown" and "no such file" in warning
    state, warning = host_state.supervisor_state(str(conf), "p", lambda argv: (0, "p  UNKNOWN\n", ""))
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
    result, warnings = host_state.read_service("Print ORS Service", str(home), "h1", run, SUPERVISORCTL)
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
    result, warnings = host_state.read_service("Print ORS Service", str(home), "h2", run, SUPERVISORCTL)
    assert (result["start_mode"], result["state"]) == ("manual", "stopped") and warnings == []


def test_service_configured_but_not_loaded(supervised_lab):
    home, _ = supervised_lab
    path = home / "supervisor" / "conf.d" / "h3_print_ors_service.conf"
    path.write_text("[program:h3_print_ors_service]\ncommand=/bin/sleep 3600\nuser=nobody\n")
    try:
        result, warnings = host_state.read_service("Print ORS Service", str(home), "h3", run, SUPERVISORCTL)
        assert result["state"] == "stopped" and "not loaded" in warnings[0]
    finally:
        path.unlink()


def test_service_state_after_stop(supervised_lab):
    home, ctl = supervised_lab
    run([*ctl, "stop", "h1_print_ors_service"])
    try:
        result, _ = host_state.read_service("Print ORS Service", str(home), "h1", run, SUPERVISORCTL)
        assert result["state"] == "stopped"
    finally:
        run([*ctl, "start", "h1_print_ors_service"])


# --------------------------------------------------------------------------------------------------
# the whole reader


def test_read_host_state_reads_only_the_sections_asked_for(tmp_path):
    state, warnings = host_state.read_host_state({"sections": ["teamviewer", "accounts"]}, run)
    assert set(state) == {"platform", "teamviewer", "accounts"}
    assert state["platform"] == "lab" and state["accounts"] == {} and warnings == []


def test_read_host_state_everything_without_secrets(tmp_path, lab_share):
    settings = tmp_path / "hosts" / "p1" / "ProgramData" / "PRISMAdirect" / "remote-service.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps(document()))
    (tmp_path / "hosts" / "p1" / "TeamViewer").mkdir()
    params = {
        "sections": list(host_state.DEFAULT_SECTIONS),
        "service": "Print ORS Service",
        "accounts": [{"name": "root", "password_hash": "$6$candidate"}],
        "settings_path": str(settings),
        "license_path": "//fls1/licenses",
        "lab_home": str(tmp_path),
        "lab_host": "p1",
        "lab_root": None,
        "mac_addresses_file": None,
        "logon_group": "printops-lab-logon",
    }
    state, _ = host_state.read_host_state(params, run)
    assert set(state) == {"platform", *host_state.DEFAULT_SECTIONS}
    assert state["teamviewer"] == {"present": True}  # lab_root defaults to <lab_home>/hosts/<lab_host>
    assert state["service"]["exists"] is False
    assert [item["name"] for item in state["licenses"]] == ["PDS-1.lic"]
    assert state["settings"]["document"]["general"]["verification_code"]["set"] is True
    text = json.dumps(state)
    assert CODE not in text and PROXY_PASSWORD not in text
