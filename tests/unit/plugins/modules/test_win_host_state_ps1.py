"""Static checks of the Windows reader plugins/modules/win_host_state.ps1 (there is no PowerShell here).

Its argument spec must be the contract's (what the Windows adapter sends) with the lab reader's section
names; it must be read-only, print nothing but the module's JSON, and never put a secret of the settings
store into its result. Every PowerShell script of the collection (plugins/, molecule/windows/), and every
script the Windows adapter sends inline, must parse (tree-sitter-powershell, pinned in requirements.txt)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from ansible_collections.printops.prismadirect.plugins.modules import host_state as lab_reader

SCRIPT = Path(__file__).resolve().parents[4] / "plugins" / "modules" / "win_host_state.ps1"
TEXT = SCRIPT.read_text(encoding="utf-8")
MAX_LINES = 310  # "kept small and reviewed line by line" (issue 5)

# The contract (what the Windows adapter sends), with each option's type and default.
CONTRACT_OPTIONS = {
    "sections": ("list", None),
    "service": ("str", "Print ORS Service"),
    "accounts": ("list", None),
    "settings_path": ("str", "C:\\ProgramData\\PRISMAdirect\\remote-service.json"),
    "license_path": ("str", None),
    "folder_path": ("str", None),
    "share_name": ("str", None),
    "lmutil_path": ("str", "C:\\Program Files\\Flexera\\lmutil.exe"),
    "license_service": ("str", None),
    "license_name": ("str", None),
}


def code_only(text: str) -> str:
    """The script with comments and the contents of string literals blanked (lengths kept)."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif c in "'\"":
            end = i + 1
            while end < len(text) and text[end] != c:
                end += 2 if c == '"' and text[end] == "`" else 1
            out.append(c + " " * (end - i - 1) + c)
            i = end + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


CODE = code_only(TEXT)


def block_after(text: str, start: int) -> str:
    """The text of the ``{...}`` block whose opening brace is the first at or after ``start``."""
    code = code_only(text)
    opening = code.index("{", start)
    depth = 0
    for index in range(opening, len(code)):
        depth += {"{": 1, "}": -1}.get(code[index], 0)
        if depth == 0:
            return text[opening + 1 : index]
    raise AssertionError(f"unbalanced braces after offset {start}")


def hashtable_entries(body: str) -> dict[str, str]:
    """Top-level ``key = value`` entries of a hashtable body (values as text)."""
    code = code_only(body)
    depth, found = 0, []  # (key, where its key starts, where its value starts)
    for match in re.finditer(r"[{}()]|(?:^|;)\s*([A-Za-z_]\w*)\s*=(?!=)", code, re.MULTILINE):
        token = match.group(0)
        if token in "{(":
            depth += 1
        elif token in "})":
            depth -= 1
        elif depth == 0:
            found.append((match.group(1), match.start(), match.end()))
    ends = [start for _key, start, _end in found[1:]] + [len(body)]
    return {
        key: body[end:stop].strip().rstrip(";").strip()
        for (key, _s, end), stop in zip(found, ends, strict=True)
    }


def spec_options() -> dict[str, str]:
    spec = block_after(TEXT, TEXT.index("$spec = @{"))
    return hashtable_entries(block_after(spec, spec.index("options = @{")))


def function_body(name: str) -> str:
    return block_after(TEXT, TEXT.index(f"function {name}"))


def test_the_spec_has_exactly_the_contract_options():
    options = spec_options()
    assert set(options) == set(CONTRACT_OPTIONS)
    for name, (kind, default) in CONTRACT_OPTIONS.items():
        entry = hashtable_entries(options[name].strip()[2:-1])  # inside @{ ... }
        assert entry["type"].strip("'") == kind, name
        if default is not None:
            assert entry["default"].strip("'") == default, name
        else:
            assert "default" not in entry or entry["default"] == "@()", name
    assert "required = $true" in options["sections"]
    accounts = hashtable_entries(options["accounts"].strip()[2:-1])
    assert set(hashtable_entries(accounts["options"].strip()[2:-1])) == {"name"}  # no password: Windows
    assert re.search(r"supports_check_mode\s*=\s*\$true", TEXT)


def test_the_section_choices_are_the_lab_readers():
    line = re.search(r"\$sectionChoices = @\(([^)]*)\)", TEXT)
    assert line and "choices = $sectionChoices" in spec_options()["sections"]
    assert re.findall(r"'(\w+)'", line.group(1)) == list(lab_reader.SECTIONS)
    # every section is read (by name) and ends up under the raw output's key
    read = re.findall(r"^Read-Section (\w+) (\w+) \{", TEXT, re.MULTILINE)
    assert {section for section, _key in read} == set(lab_reader.SECTIONS)


def test_the_header_loads_ansible_basic():
    assert TEXT.startswith("#!powershell\n")
    assert "#AnsibleRequires -CSharpUtil Ansible.Basic" in TEXT
    assert "[Ansible.Basic.AnsibleModule]::Create($args, $spec)" in TEXT
    assert TEXT.rstrip().endswith("$module.ExitJson()")


# Verbs of commands that only read, plus the script's own functions (Read-Section, Find-Service).
READ_VERBS = {"Get", "Test", "Where", "Select", "ForEach", "Sort", "Join", "ConvertFrom", "ConvertTo", "Read"}
READ_VERBS |= {"Find", "Resolve"}


def test_it_only_reads():
    commands = re.findall(r"\b([A-Z][a-z]+(?:[A-Z][a-z]+)?)-([A-Z][A-Za-z]+)\b", CODE)
    writers = sorted({f"{v}-{n}" for v, n in commands if v not in READ_VERBS} - {"Add-Member", "Remove-Item"})
    assert writers == [], "commands that are not read-only"
    # Add-Member changes the in-memory document (the view), nothing on the host
    assert all("$Document" in line or "$values" in line for line in CODE.splitlines() if "Add-Member" in line)
    assert not re.search(
        r"::(Write|Append|Delete|Move|Copy|Replace|SetAccessControl)|\.(Delete|MoveTo|CopyTo)\(", CODE
    )
    assert not re.search(r"\b(icacls|sc\.exe|net\.exe|reg\.exe|cmd|Start-Process)\b", CODE, re.IGNORECASE)


def test_the_only_thing_written_is_secedits_export_removed_in_finally():
    native = re.findall(r"&\s+([\w.]+)", CODE)
    assert native == ["secedit.exe"]
    call = re.search(
        r"& secedit\.exe /export /areas USER_RIGHTS /cfg \"([^\"]+)\" /log \"([^\"]+)\" /quiet", TEXT
    )
    assert call, "secedit only exports"
    body = function_body("Get-ServiceLogonSids")
    assert re.search(r"\$base = Join-Path \$env:TEMP ", body)
    cleanup = block_after(body, body.index("finally"))
    assert f'Remove-Item -LiteralPath "{call.group(1)}", "{call.group(2)}"' in cleanup
    assert CODE.count("Remove-Item") == 1
    assert not re.search(r"\bsecedit(\.exe)?\s+/(configure|import)", TEXT, re.IGNORECASE)


def test_nothing_is_printed_but_the_result():
    # Ansible turns Write-Host into output, which would break the module's JSON.
    assert not re.search(r"\bWrite-(Host|Output|Information)\b|\[Console\]::Write", CODE)
    for line in CODE.splitlines():  # a method's return value left on the pipeline is output too
        assert not re.match(r"\s*\$\w+(\.\w+)*\.(Add|Remove|Insert)\(", line), line


def test_secrets_only_enter_the_result_as_set_and_fingerprint():
    view = function_body("ConvertTo-SettingsView")
    # the secret keys appear only in the view's list of keys
    outside = TEXT.replace(view, "")
    for key in ("verification_code", "password"):
        assert key in view
        assert not re.search(rf"\b{key}\b", outside, re.IGNORECASE), f"{key} outside the view"
    assert "'general.verification_code', 'proxy.password'" in view
    lines = [line.strip() for line in view.splitlines() if "$secret" in line]
    assert lines == [
        "$secret = $values.$name",
        "$set = $secret -is [string] -and $secret.Length -gt 0",
        "if ($set -and $Document.salt -is [string]) { $fingerprint = Get-Fingerprint $Document.salt $secret }",  # noqa: E501
        "$secret = $null",
    ]
    replace = (
        "$values | Add-Member -NotePropertyName $name -NotePropertyValue "
        "@{ set = $set; fingerprint = $fingerprint } -Force"
    )
    assert replace in view
    # the document reaches the result only through the view; parse errors never quote the text
    assert re.findall(r"\.document = (.*)", TEXT) == ["ConvertTo-SettingsView $document }"]
    settings = function_body("Get-SettingsState")
    assert "catch { $document = $null }" in settings


def test_it_stays_small():
    assert len(TEXT.splitlines()) <= MAX_LINES


# ---------------------------------------------------------------------------------------------------
# Every PowerShell script parses

ROOT = SCRIPT.parents[2]
POWERSHELL_SCRIPTS = sorted(
    path
    for folder in (ROOT / "plugins", ROOT / "molecule" / "windows")
    for pattern in ("*.ps1", "*.psm1")
    for path in folder.rglob(pattern)
)
# Operators PowerShell has and tree-sitter-powershell 0.26.4 does not know (its grammar has -in and
# -notin only): read as their plain forms, padded to the same length so lines and columns stay right.
GRAMMAR_GAPS = re.compile(r"(?<![\w-])-[ci](in|notin)\b", re.IGNORECASE)


def powershell_parser():
    """A tree-sitter parser of PowerShell: tree-sitter and tree-sitter-powershell are requirements."""
    try:
        import tree_sitter
        import tree_sitter_powershell
    except ImportError as exc:
        pytest.fail(
            f"{exc.name} is not installed: the PowerShell parse test needs tree-sitter==0.26.1 and "
            "tree-sitter-powershell==0.26.4 (requirements.txt; ./run installs them into .venv)"
        )
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def first_syntax_error(text: str) -> str | None:
    """``line N, column M: ...`` of the first syntax error of a script, or None when it parses."""
    readable = GRAMMAR_GAPS.sub(lambda m: f"-{m.group(1)}".ljust(len(m.group())), text)
    root = powershell_parser().parse(readable.encode("utf-8")).root_node
    if not root.has_error:
        return None
    # The innermost ERROR (or MISSING) nodes: an outer ERROR node may start far before the mistake.
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if (node.type == "ERROR" or node.is_missing) and not any(c.has_error for c in node.children):
            found.append(node)
        stack.extend(node.children)
    node = min(found or [root], key=lambda n: n.start_byte)
    row, column = node.start_point
    what = f"missing {node.type!r}" if node.is_missing else f"unexpected {node.text.decode()[:60]!r}"
    line = text.splitlines()[row].strip() if row < len(text.splitlines()) else ""
    return f"line {row + 1}, column {column + 1}: {what} in: {line[:100]}"


def test_the_scripts_are_found():
    names = {path.name for path in POWERSHELL_SCRIPTS}
    assert {"win_host_state.ps1", "win_settings_store.ps1"} <= names


@pytest.mark.parametrize("script", POWERSHELL_SCRIPTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_powershell_script_parses(script):
    error = first_syntax_error(script.read_text(encoding="utf-8-sig"))
    assert error is None, f"{script.relative_to(ROOT)}: syntax error at {error}"


def inline_scripts() -> dict[str, str]:
    """The PowerShell the Windows adapter sends inline (``win_powershell`` ``script``): the ``*_SCRIPT``
    string constants of plugins/plugin_utils/_platform_windows*.py, by ``module.NAME``."""
    found = {}
    for path in sorted((ROOT / "plugins" / "plugin_utils").glob("_platform_windows*.py")):
        module = importlib.import_module(f"{PLUGIN_UTILS}.{path.stem}")
        for name, value in vars(module).items():
            if name.endswith("_SCRIPT") and isinstance(value, str):
                found[f"{path.stem}.{name}"] = value
    return found


PLUGIN_UTILS = "ansible_collections.printops.prismadirect.plugins.plugin_utils"
INLINE_SCRIPTS = inline_scripts()


def test_the_inline_scripts_are_found():
    assert {"_platform_windows_fls.REMOVE_RULE_SCRIPT", "_platform_windows_license.REPLACE_SCRIPT"} <= set(
        INLINE_SCRIPTS
    )


@pytest.mark.parametrize("name", INLINE_SCRIPTS)
def test_every_inline_powershell_script_parses(name):
    error = first_syntax_error(INLINE_SCRIPTS[name])
    assert error is None, f"{name}: syntax error at {error}"


def test_a_syntax_error_is_reported_at_its_line():
    assert first_syntax_error("$kinds = @('a', 'b')\nif ('a' -cin $kinds) { 'case-sensitive' }\n") is None
    broken = "function Get-One {\n    $x = 1\n    if ($x -eq 1 { 'one' }\n}\n"
    assert first_syntax_error(broken) == "line 3, column 16: unexpected '1' in: if ($x -eq 1 { 'one' }"
    assert first_syntax_error("if ($a) {\n    1\n").startswith("line 2, column 6: missing '}'")
