"""The execution environment definition (`execution-environment.yml`) makes a build context that would
build the EE the project documents (docs/operations.md): `ansible-builder create`, a real run, then the
generated context is read back. No image is built (no container engine here).
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BUILDER = Path(sys.executable).with_name("ansible-builder")
DEFINITION = yaml.safe_load((REPO / "execution-environment.yml").read_text())

# requirements.txt packages that only the development machine needs: the test, lint and build tools,
# and `ansible` itself (the EE takes ansible-core and the collections of requirements.yml instead).
DEVELOPMENT_ONLY = {
    "ansible",
    "ansible-builder",
    "tree-sitter",
    "tree-sitter-powershell",
    "ansible-lint",
    "molecule",
    "pytest",
    "pytest-testinfra",
    "ruff",
}


def pins(path: Path) -> dict[str, Requirement]:
    """The requirements of a pip requirements file, by canonical name."""
    found = {}
    for line in path.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if text:
            requirement = Requirement(text)
            found[canonicalize_name(requirement.name)] = requirement
    return found


def build_arg(containerfile: str, name: str) -> str:
    match = re.search(rf'^ARG {name}="([^"]*)"$', containerfile, re.MULTILINE)
    assert match, f"no ARG {name} in the Containerfile"
    return match[1]


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ee") / "context"
    proc = subprocess.run(
        [
            *(str(BUILDER), "create", "--file", "execution-environment.yml"),
            *("--context", str(out), "--output-filename", "Containerfile"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_the_containerfile_builds_from_the_chosen_base_image(context: Path) -> None:
    containerfile = (context / "Containerfile").read_text()

    assert build_arg(containerfile, "EE_BASE_IMAGE") == DEFINITION["images"]["base_image"]["name"]
    assert "FROM $EE_BASE_IMAGE AS base" in containerfile
    assert (
        build_arg(containerfile, "PYCMD") == DEFINITION["dependencies"]["python_interpreter"]["python_path"]
    )
    # Every stage that installs something is there: the collections, the Python wheels, the final image.
    for stage in ("AS galaxy", "AS builder", "AS final"):
        assert f"FROM base {stage}" in containerfile
    assert "ansible-galaxy collection install" in containerfile
    assert "LABEL ansible-execution-environment=true" in containerfile


def test_the_image_gets_the_ansible_core_the_tests_use_and_ansible_runner(context: Path) -> None:
    refs = build_arg((context / "Containerfile").read_text(), "ANSIBLE_INSTALL_REFS").split()
    core = Requirement(next(ref for ref in refs if ref.startswith("ansible-core")))
    runner = next((ref for ref in refs if ref.startswith("ansible-runner")), None)

    # What the pinned `ansible` package of requirements.txt accepts, i.e. what the tests run with.
    bundle_needs = next(
        Requirement(dep)
        for dep in importlib.metadata.requires("ansible") or []
        if canonicalize_name(Requirement(dep).name) == "ansible-core"
    )
    (pinned,) = core.specifier
    assert pinned.operator == "==", "pin ansible-core to one version in execution-environment.yml"
    assert bundle_needs.specifier.contains(pinned.version), (
        f"execution-environment.yml pins ansible-core {pinned.version}; ansible "
        f"{importlib.metadata.version('ansible')} (requirements.txt) needs {bundle_needs.specifier}"
    )
    assert pins(REPO / "requirements.txt")["ansible-core"] == core, (
        "the EE runs the ansible-core the tests use"
    )
    assert runner is not None and "==" in runner, "AWX runs jobs through ansible-runner: pin it"


def test_the_dependency_files_are_copied_as_they_are(context: Path) -> None:
    build = context / "_build"
    dependencies = DEFINITION["dependencies"]

    assert (build / "requirements.yml").read_text() == (REPO / dependencies["galaxy"]).read_text()
    assert (build / "bindep.txt").read_text() == (REPO / dependencies["system"]).read_text()
    assert (build / "requirements.txt").read_text() == (REPO / dependencies["python"]).read_text()


def test_the_galaxy_stage_installs_the_collections_of_requirements_yml(context: Path) -> None:
    built = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    listed = yaml.safe_load((REPO / "requirements.yml").read_text())

    assert [(c["name"], c["version"]) for c in built["collections"]] == [
        (c["name"], c["version"]) for c in listed["collections"]
    ]
    assert {c["name"] for c in built["collections"]} >= {
        "ansible.windows",
        "community.windows",
        "ansible.posix",
        "community.general",
    }


def test_the_image_python_packages_are_runtime_ones_pinned_as_requirements_txt(context: Path) -> None:
    image = pins(context / "_build" / "requirements.txt")
    development = pins(REPO / "requirements.txt")

    assert not set(image) & DEVELOPMENT_ONLY, f"test tools in the EE: {sorted(set(image) & DEVELOPMENT_ONLY)}"
    for name, requirement in development.items():
        if name in DEVELOPMENT_ONLY or name == "ansible-core":  # the EE's dependencies.ansible_core
            continue
        # Every runtime package of the development machine is in the image, at the same version.
        assert name in image, f"{name} is in requirements.txt but not in requirements-ee.txt"
        assert image[name].specifier == requirement.specifier, (
            f"{name}: requirements-ee.txt pins {image[name].specifier}, "
            f"requirements.txt {requirement.specifier}: pin the same version in both"
        )
    assert all(str(r.specifier).startswith("==") for r in image.values()), "pin every EE package"
    # Domain accounts: Kerberos for both Windows connections.
    assert "kerberos" in image["pywinrm"].extras and "kerberos" in image["pypsrp"].extras


def test_bindep_gives_the_kerberos_build_and_run_packages_on_both_platforms(context: Path) -> None:
    from bindep.depends import Depends

    depends = Depends((context / "_build" / "bindep.txt").read_text())
    python_package = DEFINITION["dependencies"]["python_interpreter"]["package_system"].split()[0]

    def packages(*profiles: str) -> set[str]:
        return {rule[0] for rule in depends.active_rules(list(profiles))}

    rpm_build, rpm_run = packages("platform:rpm", "compile"), packages("platform:rpm")
    deb_build, deb_run = packages("platform:dpkg", "compile"), packages("platform:dpkg")
    # The wheels of pykerberos, gssapi and krb5 are compiled against the EE's own Python.
    assert {"gcc", "krb5-devel", f"{python_package}-devel"} <= rpm_build
    assert {"gcc", "libkrb5-dev", "python3-dev"} <= deb_build
    # Compilers stay out of the final image; the Kerberos client and libraries go in.
    assert not {"gcc", "krb5-devel"} & rpm_run and not {"gcc", "libkrb5-dev"} & deb_run
    assert {"krb5-libs", "krb5-workstation", "ca-certificates"} <= rpm_run
    assert {"libgssapi-krb5-2", "krb5-user", "ca-certificates"} <= deb_run
