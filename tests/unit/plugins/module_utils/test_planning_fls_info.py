"""The floating_license_info planner (plugins/module_utils/planning_fls_info.py): options -> desired, and
host state -> report."""

from __future__ import annotations

from datetime import date

import pytest
from ansible_collections.printops.prismadirect.plugins.module_utils.planning_fls_info import (
    NO_MACS,
    FlsInfoDesired,
    floating_license_info_desired,
    fls_info_from_state,
)
from ansible_collections.printops.prismadirect.plugins.module_utils.validation import ValidationError

TODAY = date(2026, 11, 29)


def test_defaults():
    assert floating_license_info_desired({"path": "C:\\FlexNet\\licenses"}) == FlsInfoDesired(
        path="C:\\FlexNet\\licenses", warn_days=31, validate_hostid=True
    )


@pytest.mark.parametrize(
    ("args", "option"),
    [
        ({"path": None}, "path"),
        ({"path": "/licenses", "warn_days": 3651}, "warn_days"),
        ({"path": "/licenses", "validate_hostid": "yes"}, "validate_hostid"),
        ({"path": "/licenses", "lmutil_path": " "}, "lmutil_path"),
    ],
)
def test_bad_options(args, option):
    with pytest.raises(ValidationError) as caught:
        floating_license_info_desired(args)
    assert caught.value.option == option


def test_host_ids_are_not_checked_without_the_mac_addresses_and_it_says_so():
    report = fls_info_from_state(FlsInfoDesired("/licenses"), {"licenses": []}, TODAY)
    assert report["mac_addresses"] is None and report["warnings"] == [NO_MACS]
    quiet = fls_info_from_state(FlsInfoDesired("/licenses", validate_hostid=False), {"licenses": []}, TODAY)
    assert quiet["warnings"] == [] and quiet["license_server"] is None
