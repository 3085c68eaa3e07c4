"""Filters over FlexNet license text: flexlm_license (parse) and flexlm_validate (check).

Documentation lives beside this file in flexlm_license.yml and flexlm_validate.yml. The license
model is plugins/module_utils/flexlm.py; this file only converts arguments and errors.
"""

from __future__ import annotations

from datetime import date, datetime

from ansible.errors import AnsibleFilterError
from ansible_collections.printops.prismadirect.plugins.module_utils.flexlm import (
    License,
    LicenseParseError,
    parse_license,
    validate_license,
)


def _parse(text: object, filter_name: str) -> License:
    if not isinstance(text, str):
        raise AnsibleFilterError(
            f"{filter_name}: expected the text of a FlexNet license file, got {type(text).__name__}"
        )
    try:
        return parse_license(text)
    except LicenseParseError as exc:
        raise AnsibleFilterError(f"{filter_name}: not a valid FlexNet license: {exc}") from exc


def _today(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise AnsibleFilterError(
            f"flexlm_validate: today {value!r} is not an ISO date (YYYY-MM-DD)"
        ) from None


def _mac_addresses(value: object) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    if isinstance(value, (list, tuple, set)):
        return [str(item) for item in value if item not in (None, "")]
    raise AnsibleFilterError(
        f"flexlm_validate: mac_addresses must be a list of MAC addresses, got {type(value).__name__}"
    )


def _warn_days(value: object) -> int:
    try:
        days = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"flexlm_validate: warn_days {value!r} is not a whole number") from None
    if days < 0:
        raise AnsibleFilterError(f"flexlm_validate: warn_days {days} must be 0 or more")
    return days


def flexlm_license(text: str) -> dict:
    """License text -> the License model as a dict (see flexlm_license.yml)."""
    return _parse(text, "flexlm_license").to_dict()


def flexlm_validate(
    text: str,
    mac_addresses: list[str] | str | None = None,
    today: str | date | None = None,
    warn_days: int = 31,
    expected_serial: str | None = None,
) -> dict:
    """License text -> {"ok", "errors", "warnings"} (see flexlm_validate.yml)."""
    result = validate_license(
        _parse(text, "flexlm_validate"),
        mac_addresses=_mac_addresses(mac_addresses),
        today=_today(today),
        warn_days=_warn_days(warn_days),
        expected_serial=str(expected_serial) if expected_serial not in (None, "") else None,
    )
    return result.to_dict()


class FilterModule:
    """FlexNet license filters."""

    def filters(self):
        return {"flexlm_license": flexlm_license, "flexlm_validate": flexlm_validate}
