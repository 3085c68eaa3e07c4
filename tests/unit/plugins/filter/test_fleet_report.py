"""The fleet report filters (plugins/filter/fleet_report.py) and the report's HTML template
(playbooks/templates/fleet_report.html.j2), rendered by Ansible's own templating."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.printops.prismadirect.plugins.filter import fleet_report as fleet_filter

REPO = Path(__file__).resolve().parents[4]
TEMPLATE = REPO / "playbooks" / "templates" / "fleet_report.html.j2"
NOW = "2026-11-29T13:05:00Z"
EVIL = '<script>alert("x")</script>&<b>'


def status(light="green", **extra):
    return {
        "settings": {"general": {"license_path": "\\\\fls1\\licenses"}, "remote_assistance": {}},
        "service": {"name": "Print ORS Service", "exists": True, "state": "running"},
        "licenses": [],
        "light": light,
        "light_reason": "connected to the back office (HTTP 200 in 38 ms)",
        "remote_assistance": {
            "enabled": True,
            "until": "2026-11-29T17:00:00Z",
            "window": "open",
            "minutes_left": 235,
        },
        **extra,
    }


LICENSE = {
    "name": "PDS-100001.lic",
    "readable": True,
    "serial": "PDS-100001",
    "serials": ["PDS-100001"],
    "expiry": "2026-12-09",
    "days_left": 10,
    "maintenance_end": "2029-12-31",
    "maintenance_days_left": 1128,
    "warnings": ["feature PRISMAdirect expires on 2026-12-09 (in 10 days)"],
}

HOSTVARS = {
    "prisma1": {"fleet_report_status": status(licenses=[LICENSE]), "prismadirect_fls_host": "fls1"},
    "prisma2": {"fleet_report_status": {"unreachable": True, "msg": "ssh: connect refused"}},
    "prisma3": {"prismadirect_fls_host": "fls1"},  # failed earlier in the run: nothing registered
    "fls1": {"fleet_report_licenses": {"path": "/licenses", "licenses": [LICENSE], "license_server": {}}},
}


def test_filters_are_registered():
    assert fleet_filter.FilterModule().filters() == {
        "fleet_report_rows": fleet_filter.fleet_report_rows,
        "fleet_report_totals": fleet_filter.fleet_report_totals,
        "fleet_report_csv": fleet_filter.fleet_report_csv,
    }


def test_rows_from_hostvars():
    rows = fleet_filter.fleet_report_rows(
        HOSTVARS, prismadirect=["prisma1", "prisma2", "prisma3"], fls=["fls1"], now=NOW
    )

    assert [(r["host"], r["light"]) for r in rows] == [
        ("prisma2", "red"),
        ("prisma3", "red"),
        ("fls1", "orange"),
        ("prisma1", "orange"),
    ]
    by_host = {r["host"]: r for r in rows}
    assert by_host["prisma3"]["light_reason"].startswith("no status collected")
    assert by_host["prisma3"]["fls"] == "fls1"
    assert by_host["fls1"]["clients"] == ["prisma1", "prisma3"]
    assert by_host["prisma1"]["assistance"]["window"] == "open"


def test_rows_read_the_serial_of_each_prismadirect_host():
    hostvars = {"p": {**HOSTVARS["prisma1"], "prismadirect_serial": "PDS-100009"}}

    (row,) = fleet_filter.fleet_report_rows(hostvars, prismadirect=["p"], now=NOW)

    assert (
        row["light_reason"]
        == "no license of its serial PDS-100009 found in the license path \\\\fls1\\licenses"
    )


def test_hosts_not_asked_for_have_no_row_and_unknown_hosts_are_red():
    rows = fleet_filter.fleet_report_rows(HOSTVARS, prismadirect=["prisma1", "ghost"], now=NOW)

    assert sorted((r["host"], r["light"]) for r in rows) == [("ghost", "red"), ("prisma1", "orange")]


def test_now_defaults_to_the_current_time():
    rows = fleet_filter.fleet_report_rows(HOSTVARS, prismadirect="prisma1")

    assert [r["host"] for r in rows] == ["prisma1"]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (["not hostvars"], {}, "fleet_report_rows: expected hostvars (host name -> variables), got str"),
        (
            [HOSTVARS],
            {"prismadirect": 5},
            "fleet_report_rows: prismadirect must be a list of host names, got int",
        ),
        ([HOSTVARS], {"fls": {"a": 1}}, "fleet_report_rows: fls must be a list of host names, got dict"),
        ([HOSTVARS], {"now": "soon"}, "fleet_report_rows: now: 'soon' is not an ISO 8601 time"),
    ],
)
def test_rows_bad_input(args, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fleet_filter.fleet_report_rows(*args, **kwargs)


@pytest.mark.parametrize("name", ["fleet_report_totals", "fleet_report_csv"])
@pytest.mark.parametrize("value", ["rows", [1, 2], {"host": "a"}])
def test_totals_and_csv_want_rows(name, value):
    with pytest.raises(
        AnsibleFilterError, match=f"{name}: expected the list of rows that fleet_report_rows returns"
    ):
        getattr(fleet_filter, name)(value)


def test_totals_and_csv():
    rows = fleet_filter.fleet_report_rows(
        HOSTVARS, prismadirect=["prisma1", "prisma2"], fls=["fls1"], now=NOW
    )

    totals = fleet_filter.fleet_report_totals(rows)
    records = list(csv.DictReader(io.StringIO(fleet_filter.fleet_report_csv(rows), newline="")))

    assert (totals["hosts"], totals["red"], totals["orange"], totals["licenses_expiring"]) == (3, 1, 2, 1)
    assert [(r["host"], r["light"]) for r in records] == [(r["host"], r["light"]) for r in rows]


class _Rows(HTMLParser):
    """The table rows of the report: (data-host, data-light, badge text) and every tag name seen."""

    def __init__(self):
        super().__init__()
        self.rows, self.tags, self.badges = [], set(), []
        self._in_badge = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        attrs = dict(attrs)
        if tag == "tr" and "data-light" in attrs:
            self.rows.append((attrs["data-host"], attrs["data-light"]))
        self._in_badge = tag == "span" and "badge" in (attrs.get("class") or "").split() and bool(self.rows)

    def handle_data(self, data):
        if self._in_badge:
            self.badges.append(data.strip())
            self._in_badge = False


def render(rows, totals) -> str:
    templar = Templar(
        loader=DataLoader(),
        variables={
            "fleet_report_rows": rows,
            "fleet_report_totals": totals,
            "fleet_report_generated_at": NOW,
        },
    )
    return templar.template(trust_as_template(TEMPLATE.read_text()))


def test_the_page_escapes_what_hosts_say_and_shows_lights_as_text():
    hostvars = {
        **HOSTVARS,
        EVIL: {"fleet_report_status": {"failed": True, "msg": EVIL}},
        "prisma1": {
            "fleet_report_status": status(
                licenses=[
                    {**LICENSE, "name": EVIL, "serial": EVIL, "serials": [EVIL, "PDS-2"], "warnings": [EVIL]}
                ],
                light="orange",
                light_reason=EVIL,
            ),
            "prismadirect_fls_host": EVIL,
        },
    }
    rows = fleet_filter.fleet_report_rows(
        hostvars, prismadirect=["prisma1", "prisma2", EVIL], fls=["fls1"], now=NOW
    )

    page = render(rows, fleet_filter.fleet_report_totals(rows))
    parser = _Rows()
    parser.feed(page)

    assert "<script>alert" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;&lt;b&gt;" in page
    assert parser.rows == [(r["host"], r["light"]) for r in rows]
    assert parser.badges == [f"{'✖' if r['light'] == 'red' else '▲'} {r['light'].capitalize()}" for r in rows]
    # one self-contained file: no external asset of any kind
    assert not parser.tags & {"link", "img", "iframe", "object", "embed"}
    assert "src=" not in page and "url(" not in page and "@import" not in page
    assert page.count("<script>") == 1  # the optional sort script, inline


def test_the_page_of_a_green_fleet_and_of_an_empty_one():
    far = {**LICENSE, "expiry": "2029-12-31", "days_left": 1128, "warnings": []}
    hostvars = {"p": {"fleet_report_status": status(licenses=[far])}}
    rows = fleet_filter.fleet_report_rows(hostvars, prismadirect=["p"], now=NOW)

    page = render(rows, fleet_filter.fleet_report_totals(rows))
    empty = render([], fleet_filter.fleet_report_totals([]))

    assert 'data-light="green"' in page and "✔ Green" in page
    assert "open</span> until 2026-11-29T17:00:00Z (235 min left)" in page
    assert "<tbody>\n</tbody>" in empty
    assert "0 hosts" in empty
