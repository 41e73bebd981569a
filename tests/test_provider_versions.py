"""The providers that run are the ones whose source was read (docs/changes.md, "Provider versions").

Every provider behaviour the program encodes is cited to the source of one provider release. A bump
(Dependabot proposes them) changes what runs, so it must change the record too, after a re-read:
these tests fail until the installed version, the pins and the record agree.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path

import pytest

from tools import replacements

ROOT = Path(__file__).resolve().parent.parent
PROVIDERS = replacements.table()["providers"]
# Python distribution and module of each recorded provider.
PACKAGES = {provider["pulumiPackage"]: name for name, provider in PROVIDERS.items()}


def pins(path: Path) -> dict[str, str]:
    """`name==version` requirements in a requirements file or pyproject's dependency list."""
    found = re.findall(r"^\s*\"?(pulumi(?:verse)?-[a-z]+)\s*([=<>!~]=?[^\s\",#]*)", path.read_text(), flags=re.M)
    return dict(found)


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_the_installed_provider_is_the_recorded_one(package):
    recorded = PROVIDERS[PACKAGES[package]]["pulumiVersion"]
    assert importlib.metadata.version(package) == recorded, (
        f"{package} {importlib.metadata.version(package)} is installed but {recorded} was read: re-read the "
        "bridged provider's source for what the program relies on, then update tools/replacements.json and docs/changes.md"
    )


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_the_plugin_the_sdk_asks_the_engine_for_is_the_recorded_one(package):
    # The SDK names the plugin version the engine downloads: the provider that really runs.
    module = importlib.import_module(package.replace("-", "_"))
    plugin = json.loads((Path(module.__file__).parent / "pulumi-plugin.json").read_text())
    # pulumiverse-time's plugin file names no version: its resources send the package's own version
    # with every registration (`_utilities.get_resource_opts_defaults`), which the engine resolves.
    version = plugin.get("version") or importlib.import_module(f"{module.__name__}._utilities").get_version()
    assert version == PROVIDERS[PACKAGES[package]]["pulumiVersion"]


@pytest.mark.parametrize("requirements", ["requirements.txt", "pyproject.toml"])
def test_every_provider_is_pinned_to_its_recorded_version(requirements):
    found = pins(ROOT / requirements)
    for package, name in PACKAGES.items():
        assert found.get(package) == f"=={PROVIDERS[name]['pulumiVersion']}", f"{requirements}: {package} {found.get(package)}"


def test_the_changes_page_names_each_pinned_version_and_its_upstream():
    text = (ROOT / "docs" / "changes.md").read_text()
    section = text[text.index("## Provider versions") :]
    for provider in PROVIDERS.values():
        row = next((line for line in section.splitlines() if line.startswith(f"| {provider['pulumiPackage']} |")), "")
        assert f"| {provider['pulumiVersion']} |" in row, provider["pulumiPackage"]
        assert provider["terraformVersion"] in row, provider["pulumiPackage"]


def test_no_citation_names_a_provider_version_other_than_the_pinned_one():
    """A comment or page that says "pulumi_mongodbatlas 4.18" describes a provider that does not run."""
    pinned = {provider["pulumiPackage"].replace("_", "-"): provider["pulumiVersion"] for provider in PROVIDERS.values()}
    names = "|".join(re.escape(name).replace("\\-", "[-_]") for name in pinned)
    pattern = re.compile(rf"({names})\W{{1,3}}v?(\d+\.\d+(?:\.\d+)?)\b")
    wrong = []
    for path in [*ROOT.glob("*.py"), *ROOT.glob("*.md"), *ROOT.glob("docs/*.md"), *ROOT.glob("policies/*.md")] + [
        p for folder in ("atlas_platform", "stackconfig", "policies", "tools", "tests") for p in (ROOT / folder).rglob("*.py")
    ]:
        if path.name == Path(__file__).name:
            continue
        for package, version in pattern.findall(path.read_text()):
            package = package.replace("_", "-")
            if not pinned[package].startswith(version):
                wrong.append(f"{path.relative_to(ROOT)}: {package} {version} (pinned: {pinned[package]})")
    assert not wrong, "\n".join(wrong)
