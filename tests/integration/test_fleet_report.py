"""`playbooks/fleet_report.yml` against a throwaway lab, and its page in headless Chromium.

A fresh lab (lab_under_test, nothing converged) gives every light: fls2 is green (a valid license, its
license server running), fls1 orange (PDS-100009's maintenance has ended), prisma1 orange (Print ORS
Service not installed), and prisma2 red: an inventory override sends it over SSH to a closed port,
so it is unreachable. The report is written to a temporary directory; the test checks the JSON, that the
CSV and the page say the same, and opens the page in Debian's Chromium (installed when missing): a
screenshot that shows the three badge colours, and the rows and lights read from the DOM.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from headless_chromium import dump_dom, ensure_chromium, read_png, screenshot
from lab_under_test import REPO, free_port, lab_platform, playbook_command

pytestmark = pytest.mark.integration

PLAYBOOK = REPO / "playbooks" / "fleet_report.yml"
EXPECTED = [  # red first, then orange, then green, each by host name
    ("prisma2", "PRISMAdirect", "red"),
    ("fls1", "FLS", "orange"),
    ("prisma1", "PRISMAdirect", "orange"),
    ("fls2", "FLS", "green"),
]
BADGE_COLORS = {"red": (0xB3, 0x26, 0x1E), "orange": (0xF2, 0xA9, 0x00), "green": (0x1E, 0x7B, 0x34)}


def backoffice_vars(path: Path, sim) -> Path:
    path.write_text(
        json.dumps(
            {
                "prismadirect_backoffice_url": sim.url,
                "prismadirect_backoffice_ca_path": str(sim.ca_path),
                "prismadirect_organization_id": sim.organization_id,
                "prismadirect_verification_code": sim.verification_code,
                "prismadirect_backoffice_cache_dir": str(path.parent / "cache"),
            }
        )
    )
    path.chmod(0o600)
    return path


def unreachable_prisma2(path: Path) -> Path:
    """A second inventory source: prisma2 over SSH to a port nobody listens on."""
    options = (
        "-o ConnectTimeout=5 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes"
    )
    path.write_text(
        json.dumps(
            {
                "all": {
                    "hosts": {
                        "prisma2": {
                            "ansible_connection": "ssh",
                            "ansible_host": "127.0.0.1",
                            "ansible_port": free_port(),
                            "ansible_ssh_common_args": options,
                        }
                    }
                }
            }
        )
    )
    return path


def run(lab, book: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv, env = playbook_command(lab, book, *args, json_out=False)
    return subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def report_files(directory: Path) -> dict[str, Path]:
    """The one timestamped report of each kind in ``directory``."""
    found = {}
    for kind in ("html", "json", "csv"):
        (path,) = sorted(directory.glob(f"fleet-2*Z.{kind}"))
        found[kind] = path
    return found


@pytest.fixture(scope="module")
def chromium() -> str:
    return ensure_chromium()


@pytest.fixture(scope="module")
def fleet_lab(tmp_path_factory, backoffice_sim):
    """The lab, the extra-vars file and the inventory override; the lab goes at the end of the module."""
    work = tmp_path_factory.mktemp("fleet-report")
    with lab_platform() as lab:
        lab.ctl("up")
        yield (
            lab,
            backoffice_vars(work / "backoffice.json", backoffice_sim),
            unreachable_prisma2(work / "override.json"),
        )


@pytest.fixture(scope="module")
def report(fleet_lab, tmp_path_factory, backoffice_sim):
    """One standalone run of the report; its output, its files and their contents."""
    lab, extra_vars, override = fleet_lab
    directory = tmp_path_factory.mktemp("reports")
    proc = run(
        lab, PLAYBOOK, "-i", str(override), "-e", f"@{extra_vars}", "-e", f"fleet_report_dir={directory}"
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    files = report_files(directory)
    return {
        "proc": proc,
        "dir": directory,
        "files": files,
        "json": json.loads(files["json"].read_text()),
        "csv": files["csv"].read_bytes().decode(),
        "html": files["html"].read_text(),
        "secret": backoffice_sim.verification_code,
    }


def test_the_run_writes_the_three_files_and_the_latest_copies(report):
    directory, files = report["dir"], report["files"]

    assert {p.name for p in directory.iterdir()} == {
        *(p.name for p in files.values()),
        "fleet-latest.html",
        "fleet-latest.json",
        "fleet-latest.csv",
    }
    for kind, path in files.items():
        assert (directory / f"fleet-latest.{kind}").read_bytes() == path.read_bytes()
    stamp = files["html"].name.removeprefix("fleet-").removesuffix(".html")
    assert stamp == report["json"]["generated_at"].replace("-", "").replace(":", "")
    out = report["proc"].stdout
    assert f"Fleet report: {files['html'].with_suffix('')}.html" in out
    assert "4 hosts: 1 red, 2 orange, 1 green" in out
    assert "RED prisma2 (PRISMAdirect): unreachable:" in out


def test_the_json_has_a_row_per_host_red_first(report):
    document = report["json"]
    rows = {row["host"]: row for row in document["rows"]}

    assert [(r["host"], r["role"], r["light"]) for r in document["rows"]] == EXPECTED
    assert document["format"] == "printops.prismadirect.fleet_report/1"
    assert document["totals"] == {
        "hosts": 4,
        "red": 1,
        "orange": 2,
        "green": 1,
        "prismadirect": 2,
        "fls": 2,
        "licenses_expiring": 0,
        "licenses_expired": 0,
        "windows_open": 0,
        "windows_overdue": 0,
    }
    assert rows["prisma2"]["light_reason"].startswith("unreachable: ")
    assert "Print ORS Service is not installed" in rows["prisma1"]["light_reason"]
    assert rows["prisma1"]["assistance"] == {
        "enabled": False,
        "window": "none",
        "until": None,
        "minutes_left": None,
    }
    assert (
        rows["fls1"]["light_reason"]
        == "PDS-100009.lic: the maintenance ended on 2025-06-30: no license updates"
    )
    assert rows["fls1"]["serials"] == ["PDS-100001", "PDS-100002", "PDS-100009"]
    assert rows["fls1"]["clients"] == ["prisma1", "prisma2"]
    assert (rows["fls2"]["serials"], rows["fls2"]["expiry"], rows["fls2"]["service_state"]) == (
        ["PDS-100003"],
        "2029-12-31",
        "running",
    )
    assert rows["prisma1"]["fls"] == "fls1"


def test_the_csv_says_what_the_json_says(report):
    text = report["csv"]
    records = list(csv.DictReader(io.StringIO(text, newline="")))

    assert text.count("\r\n") == len(records) + 1 and "\n" not in text.replace("\r\n", "")
    assert [(r["host"], r["role"], r["light"]) for r in records] == EXPECTED
    for record, row in zip(records, report["json"]["rows"], strict=True):
        assert record["light_reason"] == row["light_reason"]
        assert record["serials"] == " ".join(row["serials"])
        assert record["days_left"] == ("" if row["days_left"] is None else str(row["days_left"]))


def test_no_secret_in_the_report_or_the_output(report):
    for text in (report["csv"], report["html"], json.dumps(report["json"]), report["proc"].stdout):
        assert report["secret"] not in text
        assert 'verification_code"' not in text and 'password"' not in text


class _Page(HTMLParser):
    """What the page shows: its table rows (host, role, light, badge text) and the tags it uses."""

    def __init__(self):
        super().__init__()
        self.rows, self.tags, self.totals = [], set(), {}
        self._badge = self._total = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if tag == "tr" and "data-light" in attrs:
            self.rows.append([attrs["data-host"], attrs["data-role"], attrs["data-light"], ""])
        elif tag == "span" and "badge" in (attrs.get("class") or "").split() and self.rows:
            self._badge = self.rows[-1]
        elif tag == "li" and "data-total" in attrs:
            self._total = attrs["data-total"]

    def handle_data(self, data):
        if self._badge is not None:
            self._badge[3] += data.strip()
            self._badge = None
        elif self._total is not None and data.strip():
            self.totals[self._total] = data.strip()
            self._total = None


def test_the_page_in_headless_chromium(report, chromium, tmp_path):
    page = report["files"]["html"]

    dom = dump_dom(chromium, page)
    png = screenshot(chromium, page, tmp_path / "fleet.png")

    parsed = _Page()
    parsed.feed(dom)
    assert [tuple(row[:3]) for row in parsed.rows] == EXPECTED
    # the light is said in words too, not by colour alone
    assert [row[3] for row in parsed.rows] == ["✖ Red", "▲ Orange", "▲ Orange", "✔ Green"]
    assert parsed.totals == {
        "red": "1",
        "orange": "2",
        "green": "1",
        "licenses_expiring": "0",
        "licenses_expired": "0",
        "windows_open": "0",
        "windows_overdue": "0",
    }
    assert not parsed.tags & {"link", "img", "iframe", "object", "embed"}
    assert "http://" not in report["html"] and "https://" not in report["html"]

    data = png.read_bytes()
    assert len(data) > 10_000, f"screenshot of {len(data)} bytes"
    image = read_png(data)
    assert (image.width, image.height) == (1400, 900)
    assert len(image.colors()) > 50, "the screenshot is (nearly) one colour"
    for light, rgb in BADGE_COLORS.items():
        assert image.has_color(rgb), f"no {light} badge in the screenshot"


def test_imported_after_a_failure_with_limit_check_and_diff(fleet_lab, tmp_path):
    """As site.yml imports it, from another directory, after a play in which prisma1 failed: the
    templates resolve, prisma1 is a red row (nothing collected), --limit reports only the hosts it
    names, and a --check --diff run still writes the report without printing it as a diff."""
    lab, extra_vars, override = fleet_lab
    book = tmp_path / "books" / "site.yml"
    book.parent.mkdir()
    book.write_text(
        "---\n"
        "- name: A play in which prisma1 fails\n"
        "  hosts: prismadirect\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - name: Fail on prisma1\n"
        "      ansible.builtin.fail:\n"
        "        msg: an earlier step failed\n"
        "      when: inventory_hostname == 'prisma1'\n"
        f"- name: The status check\n  ansible.builtin.import_playbook: {PLAYBOOK}\n"
    )
    directory = tmp_path / "reports"

    proc = run(
        lab,
        book,
        *("-i", str(override), "-e", f"@{extra_vars}", "-e", f"fleet_report_dir={directory}"),
        *("--limit", "fls2,prisma1,prisma2", "--check", "--diff", "-e", "fleet_report_test_connection=false"),
    )

    assert proc.returncode == 2, proc.stdout[-6000:] + proc.stderr[-3000:]  # prisma1 failed
    rows = json.loads(report_files(directory)["json"].read_text())["rows"]
    assert [(r["host"], r["light"]) for r in rows] == [
        ("prisma1", "red"),
        ("prisma2", "red"),
        ("fls2", "green"),
    ]
    assert rows[0]["light_reason"].startswith(
        "no status collected: the host failed or was unreachable earlier"
    )
    assert "<!DOCTYPE html>" not in proc.stdout


def test_old_reports_are_pruned(fleet_lab, tmp_path):
    lab, extra_vars, override = fleet_lab
    directory = tmp_path / "reports"
    directory.mkdir()
    old = [
        directory / f"fleet-2025010{n}T000000Z.{kind}" for n in (1, 2, 3) for kind in ("html", "json", "csv")
    ]
    for path in old:
        path.write_text("old")
    (directory / "notes.html").write_text("not a report")

    proc = run(
        lab,
        PLAYBOOK,
        *("-i", str(override), "-e", f"@{extra_vars}", "-e", f"fleet_report_dir={directory}"),
        *("--limit", "fls2", "-e", "fleet_report_keep=2"),
    )

    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    left = sorted(p.name for p in directory.iterdir())
    assert [name for name in left if name.startswith("fleet-2025")] == [
        "fleet-20250103T000000Z.csv",
        "fleet-20250103T000000Z.html",
        "fleet-20250103T000000Z.json",
    ]
    assert "notes.html" in left and "fleet-latest.html" in left
    assert len([name for name in left if name.startswith("fleet-2026")]) == 3


@pytest.mark.parametrize("name", ["fleet_report_rows", "fleet_report_totals", "fleet_report_csv"])
def test_ansible_doc_renders_the_filters(name):
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "filter", f"printops.prismadirect.{name}"],
        cwd=REPO,
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert proc.returncode == 0, proc.stderr
    assert f"printops.prismadirect.{name}" in proc.stdout
    assert "WARNING" not in proc.stderr
