"""The real argument spec of a PowerShell module, read from its source, and a validator for arguments.

Two forms exist in ``ansible.windows`` (and in this collection's ``.ps1`` modules):

- new style, ``Ansible.Basic``: ``$spec = @{ options = @{...}; mutually_exclusive = ...; ... }``, a
  PowerShell hashtable literal, with fragments merged as ``Ansible.Basic`` does
  (``[Ansible.Basic.AnsibleModule]::Create($args, $spec, @(Get-AnsibleWindowsWebRequestSpec))``: the
  fragment's new keys are added, the module's own keys win);
- old style, ``Ansible.ModuleUtils.Legacy``: one ``Get-AnsibleParam -name x -type y -validateset ...
  -failifempty ... -aliases ...`` per option, anywhere in the script.

``parse_literal`` reads the subset of PowerShell literals these specs use: ``@{ }``, ``@( )``, ``'s'``,
``"s"``, ``$true``/``$false``/``$null``, numbers, comma lists (``'a', 'b'``), the unary comma
(``, 'x'``: an array of one) and ``$variables`` (``$uint32Type`` -> ``int``: a delegate that converts to
an unsigned integer). ``validate(spec, args)`` returns the problems Ansible would report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ansible

#: ansible.windows as the ``ansible`` package installed it, beside the ansible-core in use
SITE_PACKAGES = Path(ansible.__file__).resolve().parents[1]
WINDOWS = SITE_PACKAGES / "ansible_collections" / "ansible" / "windows" / "plugins"
COLLECTION = Path(__file__).resolve().parents[4] / "plugins"
#: ``$variables`` used as option types in specs: delegates that convert to these types.
TYPE_VARIABLES = {"uint32type": "int"}
#: Fragments a module merges into its spec (function name -> module_utils file that defines it).
FRAGMENTS = {"Get-AnsibleWindowsWebRequestSpec": WINDOWS / "module_utils" / "WebRequest.psm1"}


class ParseError(ValueError):
    pass


class Variable(str):
    """A ``$name`` reference in a literal."""


# ---------------------------------------------------------------------------------------------------
# Tokens and literals

_TOKEN = re.compile(
    r"""
    (?P<ws>[ \t]+|`\r?\n)
  | (?P<comment>\#[^\n]*)
  | (?P<nl>\r?\n)
  | (?P<open>@\{|@\(|\(|\{)
  | (?P<close>\}|\))
  | (?P<sq>'(?:[^']|'')*')
  | (?P<dq>"(?:[^"`]|`.|"")*")
  | (?P<var>\$[A-Za-z_][A-Za-z0-9_:]*)
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<punct>[;,=|])
  | (?P<word>-?[A-Za-z_][A-Za-z0-9_.\-]*)
  | (?P<other>\S)
    """,
    re.VERBOSE,
)


def tokens(text: str) -> list[tuple[str, str]]:
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("ws", "comment"):
            continue
        found.append((kind, match.group()))
    return found


def _string(kind: str, text: str) -> str:
    if kind == "sq":
        return text[1:-1].replace("''", "'")
    body = text[1:-1].replace('""', '"')
    return re.sub(r"`(.)", lambda m: {"n": "\n", "t": "\t", "0": "\0"}.get(m.group(1), m.group(1)), body)


class _Parser:
    def __init__(self, toks: list[tuple[str, str]], pos: int = 0) -> None:
        self.toks, self.pos = toks, pos

    def peek(self) -> tuple[str, str]:
        return self.toks[self.pos] if self.pos < len(self.toks) else ("eof", "")

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        self.pos += 1
        return tok

    def skip(self, *kinds_or_values: str) -> None:
        while self.peek()[0] in kinds_or_values or self.peek()[1] in kinds_or_values:
            self.pos += 1

    def expect(self, value: str) -> None:
        tok = self.take()
        if tok[1] != value:
            raise ParseError(f"expected {value!r}, found {tok[1]!r} (token {self.pos})")

    def primary(self) -> Any:
        kind, text = self.take()
        if text == "@{":
            return self.hashtable()
        if text == "@(":
            return self.array()
        if kind in ("sq", "dq"):
            return _string(kind, text)
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "var":
            name = text[1:].lower()
            return {"true": True, "false": False, "null": None}.get(name, Variable(name))
        if kind == "word":
            return text  # a bare word (a hashtable key)
        raise ParseError(f"unexpected {text!r} (token {self.pos})")

    def expression(self) -> Any:
        """``x``, ``x, y, z`` (a list) or ``, x`` (a list of one)."""
        if self.peek()[1] == ",":
            self.take()
            self.skip("nl")
            return [self.primary()]
        first = self.primary()
        if self.peek()[1] != ",":
            return first
        items = [first]
        while self.peek()[1] == ",":
            self.take()
            self.skip("nl")
            items.append(self.primary())
        return items

    def hashtable(self) -> dict[str, Any]:
        table: dict[str, Any] = {}
        while True:
            self.skip("nl", ";")
            if self.peek()[1] == "}":
                self.take()
                return table
            kind, key = self.take()
            key = _string(kind, key) if kind in ("sq", "dq") else key
            self.expect("=")
            self.skip("nl")
            table[key] = self.expression()

    def array(self) -> list[Any]:
        """``@( ... )``: each statement's output; a list output is enumerated (one level)."""
        items: list[Any] = []
        while True:
            self.skip("nl", ";")
            if self.peek()[1] == ")":
                self.take()
                return items
            value = self.expression()  # ", x" is a list of one: enumerated, it gives x itself
            if isinstance(value, list):
                items.extend(value)
            else:
                items.append(value)


def parse_literal(text: str) -> Any:
    parser = _Parser(tokens(text))
    value = parser.expression()
    return value


def _literal_at(text: str, start: int) -> Any:
    """The literal that starts at ``text[start]`` (``@{`` or ``@(``)."""
    parser = _Parser(tokens(text[start:]))
    return parser.primary()


# ---------------------------------------------------------------------------------------------------
# Specs


def _normalise_options(options: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    spec = {}
    for name, raw in options.items():
        option = dict(raw)
        kind = option.get("type", "str")
        if isinstance(kind, Variable):
            kind = TYPE_VARIABLES.get(str(kind), "raw")
        option["type"] = kind
        for key in ("aliases", "choices"):
            if key in option and not isinstance(option[key], list):
                option[key] = [option[key]]
        if "options" in option:
            option["options"] = _normalise_options(option["options"])
        spec[name] = option
    return spec


def _merge(spec: dict[str, Any], fragment: Mapping[str, Any]) -> None:
    """``Ansible.Basic``'s MergeFragmentSpec: new keys are added, dicts merged, lists extended."""
    for key, value in fragment.items():
        if key not in spec:
            spec[key] = value
        elif isinstance(value, Mapping):
            _merge(spec[key], value)
        elif isinstance(value, list):
            spec[key] = [*spec[key], *value]


def _resolve(value: Any, known: Mapping[str, Any]) -> Any:
    """``value`` with the ``$variables`` the script assigned a literal to replaced by that literal."""
    if isinstance(value, Variable):
        return known.get(str(value), value)
    if isinstance(value, list):
        return [_resolve(v, known) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, known) for k, v in value.items()}
    return value


def _assigned_literals(text: str) -> dict[str, Any]:
    """``$name = @(...)`` / ``@{...}`` / ``'text'`` assignments at the start of a line (before the spec)."""
    known = {}
    for match in re.finditer(r"^\s*\$(\w+)\s*=\s*(?=@\(|@\{|'|\")", text, re.MULTILINE):
        if match.group(1).lower() == "spec":
            break
        try:
            known[match.group(1).lower()] = _literal_at(text, match.end())
        except (ParseError, IndexError):
            continue
    return known


def new_style_spec(text: str) -> dict[str, Any] | None:
    match = re.search(r"^\s*\$spec\s*=\s*(@\{)", text, re.MULTILINE)
    if match is None:
        return None
    spec = _resolve(_literal_at(text, match.start(1)), _assigned_literals(text))
    for function, source in FRAGMENTS.items():
        if re.search(rf"Create\(\$args,\s*\$spec,\s*@\(\s*{re.escape(function)}\s*\)\)", text):
            body = source.read_text()
            start = body.index(f"Function {function}")
            fragment = _literal_at(body, body.index("@{", body.index("#>", start)))
            _merge(spec, fragment)
    spec["options"] = _normalise_options(spec.get("options", {}))
    return spec


def _legacy_params(line: str) -> dict[str, Any]:
    """``-name value`` pairs of one ``Get-AnsibleParam`` call (a parenthesised value is ``"(expr)"``)."""
    parser = _Parser(tokens(line))
    params: dict[str, Any] = {}
    positional = []
    while parser.peek()[0] not in ("eof", "nl") and parser.peek()[1] not in ("|", ")", "}"):
        kind, text = parser.peek()
        if kind == "word" and text.startswith("-"):
            parser.take()
            if parser.peek()[1] == "(":
                depth = 0
                while True:
                    _, t = parser.take()
                    depth += {"(": 1, "@(": 1, ")": -1}.get(t, 0)
                    if depth == 0:
                        break
                params[text[1:].lower()] = "(expr)"
            else:
                params[text[1:].lower()] = parser.expression()
        else:
            positional.append(parser.expression())
    if "name" not in params and len(positional) >= 2:
        params["name"] = positional[1]
    return params


def legacy_spec(text: str) -> dict[str, Any]:
    options: dict[str, dict[str, Any]] = {}
    for match in re.finditer(r"Get-AnsibleParam\b([^\n]*)", text):
        params = _legacy_params(match.group(1))
        name = params.get("name")
        if not isinstance(name, str) or name.startswith("_ansible_"):
            continue
        option: dict[str, Any] = {"type": params.get("type", "raw"), "legacy": True}
        if "validateset" in params and not isinstance(params["validateset"], Variable):
            choices = params["validateset"]
            option["choices"] = choices if isinstance(choices, list) else [choices]
        if params.get("failifempty") is True:
            option["required"] = True
        if "aliases" in params:
            aliases = params["aliases"]
            option["aliases"] = aliases if isinstance(aliases, list) else [aliases]
        if "default" in params:
            option["default"] = params["default"]
        options[name] = option
    return {"options": options}


def module_spec(source: Path) -> dict[str, Any]:
    text = source.read_text(encoding="utf-8-sig")
    return new_style_spec(text) or legacy_spec(text)


def windows_module(name: str) -> dict[str, Any]:
    """The spec of ``ansible.windows.<name>`` or ``printops.prismadirect.<name>`` (its ``.ps1``)."""
    collection, _, short = name.rpartition(".")
    root = WINDOWS if collection == "ansible.windows" else COLLECTION
    return module_spec(root / "modules" / f"{short}.ps1")


# ---------------------------------------------------------------------------------------------------
# Validation

_PY_TYPES = {
    "str": (str,),
    "path": (str,),
    "bool": (bool,),
    "int": (int,),
    "float": (int, float),
    "list": (list, tuple),
    "dict": (dict,),
}


def _type_problem(name: str, kind: str, value: Any) -> str | None:
    if kind == "raw" or kind not in _PY_TYPES:
        return None
    wanted = _PY_TYPES[kind]
    if isinstance(value, bool) and bool not in wanted:
        return f"{name}: {value!r} is a bool, the module wants {kind}"
    if not isinstance(value, wanted):
        return f"{name}: {type(value).__name__} {value!r} where the module wants {kind}"
    return None


def _present(args: Mapping[str, Any], name: str) -> bool:
    return args.get(name) is not None


def validate(spec: Mapping[str, Any], args: Mapping[str, Any], where: str = "") -> list[str]:
    """What the module would refuse in ``args`` (or, for a legacy module, silently ignore or mangle):
    unknown options, wrong types, values outside ``choices``, missing required options, and the
    ``mutually_exclusive``, ``required_one_of``, ``required_together``, ``required_by``, ``required_if``
    rules."""
    options = spec.get("options", {})
    names: dict[str, str] = {}
    for name, option in options.items():
        names[name] = name
        for alias in option.get("aliases", ()):
            names[alias] = name
    problems = []
    given: dict[str, Any] = {}
    for key, value in args.items():
        if key.startswith("_ansible_"):
            continue
        if key not in names:
            problems.append(
                f"{where}{key}: not an option of the module (options: {', '.join(sorted(names))})"
            )
            continue
        given[names[key]] = value
    for name, option in options.items():
        value = given.get(name)
        if value is None:
            if option.get("required"):
                problems.append(f"{where}{name}: required")
            continue
        kind = option.get("type", "str")
        problem = _type_problem(f"{where}{name}", kind, value)
        if problem:
            problems.append(problem)
            continue
        choices = option.get("choices")
        if choices is not None:
            values = value if kind == "list" else [value]
            for item in values:
                ok = (
                    str(item).lower() in {str(c).lower() for c in choices}
                    if option.get("legacy")
                    else item in choices
                )
                if not ok:
                    problems.append(f"{where}{name}: {item!r} is not one of {choices}")
        if kind == "list" and option.get("elements"):
            for index, item in enumerate(value):
                if option.get("options") and option["elements"] == "dict":
                    problems += validate(option, item, f"{where}{name}[{index}].")
                else:
                    problem = _type_problem(f"{where}{name}[{index}]", option["elements"], item)
                    problems += [problem] if problem else []
        elif kind == "dict" and option.get("options"):
            problems += validate(option, value, f"{where}{name}.")
    for group in spec.get("mutually_exclusive", ()):
        both = [n for n in group if _present(given, n)]
        if len(both) > 1:
            problems.append(f"{where}{', '.join(both)}: mutually exclusive")
    for group in spec.get("required_one_of", ()):
        if not any(_present(given, n) for n in group):
            problems.append(f"{where}one of {', '.join(group)} is required")
    for group in spec.get("required_together", ()):
        some = [n for n in group if _present(given, n)]
        if some and len(some) != len(group):
            problems.append(f"{where}{', '.join(group)}: required together")
    for key, needed in (spec.get("required_by") or {}).items():
        needed = needed if isinstance(needed, list) else [needed]
        if _present(given, key):
            problems += [f"{where}{n}: required by {key}" for n in needed if not _present(given, n)]
    for rule in spec.get("required_if", ()):
        key, value, needed = rule[0], rule[1], rule[2]
        if given.get(key) == value:
            present = [n for n in needed if _present(given, n)]
            if (len(rule) > 3 and rule[3] and not present) or (
                not (len(rule) > 3 and rule[3]) and len(present) != len(needed)
            ):
                problems.append(f"{where}{key}={value!r} requires {', '.join(needed)}")
    return problems
