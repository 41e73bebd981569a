"""The components as another application gets them: a built wheel, installed into a fresh virtualenv.

The wheel is built here (with the backend from requirements-dev.txt, no download), checked for its
contents, and installed into a new virtualenv. That virtualenv gets the wheel alone (`--no-deps`);
the wheel's dependencies (pulumi, pulumi-aws, pulumi-mongodbatlas, pulumi-random: hundreds of MB)
come from this repository's virtualenv through one `.pth` line, instead of being downloaded again
on every run. So that this shortcut cannot hide a wrong dependency list, the test checks that each
dependency the wheel declares is satisfied by what that line provides. Then examples/orders-app
(copied out of the repository, with none of the root stack files) is planned under the mock
runtime by that virtualenv's python.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

import atlas_platform
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "orders-app"
DISTRIBUTION = "atlas_platform_components"
COMPONENT = "atlas-platform:index:{}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    (built,) = out.glob(f"{DISTRIBUTION}-*.whl")
    return built


def metadata(wheel: Path) -> Any:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode())


def test_the_wheel_is_versioned_from_the_package(wheel: Path) -> None:
    assert metadata(wheel)["Version"] == atlas_platform.__version__
    assert wheel.name == f"{DISTRIBUTION}-{atlas_platform.__version__}-py3-none-any.whl"
    assert f"## {atlas_platform.__version__}" in (ROOT / "CHANGELOG.md").read_text(), "every version has a changelog entry"


def test_the_wheel_holds_the_components_and_their_data_and_nothing_of_the_program(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    modules = {f"atlas_platform/components/{p.name}" for p in (ROOT / "atlas_platform" / "components").glob("*.py")}
    assert modules <= names
    with zipfile.ZipFile(wheel) as archive:
        table = archive.read("atlas_platform/components/atlas_rules.json")
    assert table == (ROOT / "policies" / "rules" / "atlas_rules.json").read_bytes()
    assert "atlas_platform/py.typed" in names
    assert "atlas_platform/provider.py" in names, "the component provider serves the installed package"
    top_level = {n.split("/")[0] for n in names if not n.startswith(f"{DISTRIBUTION}-")}
    assert top_level == {"atlas_platform"}, "stackconfig, offline, policies and the program stay out of the package"


def test_the_declared_dependencies_are_the_programs_and_are_installed(wheel: Path) -> None:
    from importlib.metadata import version

    requirements = [Requirement(r) for r in metadata(wheel).get_all("Requires-Dist")]
    assert {r.name for r in requirements} == {"pulumi", "pulumi-mongodbatlas", "pulumi-aws", "pulumi-random", "pulumiverse-time"}
    for requirement in requirements:
        # What the fresh virtualenv borrows (below) must be what the wheel asks for.
        assert requirement.specifier.contains(version(requirement.name)), (requirement, version(requirement.name))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/orders-app copied outside the repository, with its own virtualenv holding the wheel."""
    app = tmp_path_factory.mktemp("outside") / "orders-app"
    shutil.copytree(EXAMPLE, app, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    shutil.copy(ROOT / "tests" / "package_plan.py", app.parent / "package_plan.py")
    venv = app / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=300,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Appended after the virtualenv's own site-packages: the wheel's atlas_platform comes first.
    (Path(site) / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return app


def plan_outside(app: Path, stack: str = "dev") -> dict[str, Any]:
    result = subprocess.run(
        [
            str(app / "venv" / "bin" / "python"),
            str(app.parent / "package_plan.py"),
            str(ROOT / "tests" / "harness" / "mocks.py"),
            str(app),
            stack,
        ],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return dict(json.loads(result.stdout.splitlines()[-1]))


def test_the_example_plans_from_the_installed_wheel_alone(installed: Path) -> None:
    assert not list(installed.glob("Pulumi.prod.yaml")) and not (installed / "stackconfig").exists()
    plan = plan_outside(installed)
    origin = Path(plan["atlas_platform"])
    assert installed / "venv" in origin.parents, f"atlas_platform came from {origin}, not the example's virtualenv"
    assert ROOT not in origin.parents

    resources = plan["resources"]

    def of_type(token: str) -> list[dict[str, Any]]:
        return [r for r in resources if r["type"] == token]

    def within(component: dict[str, Any], token: str) -> list[dict[str, Any]]:
        return [r for r in of_type(token) if r["parent"] == component["urn"]]

    assert all(r["urn"].startswith("urn:pulumi:dev::orders-app::") for r in resources)
    (project,) = of_type(COMPONENT.format("ProdProject"))
    (atlas_project,) = within(project, "mongodbatlas:index/project:Project")
    assert atlas_project["inputs"]["name"] == "orders-dev"
    assert atlas_project["inputs"]["orgId"] == "5f1e2d3c4b5a69788796a5b4"

    (cluster,) = of_type(COMPONENT.format("ProdCluster"))
    (advanced,) = within(cluster, "mongodbatlas:index/advancedCluster:AdvancedCluster")
    (region,) = advanced["inputs"]["replicationSpecs"][0]["regionConfigs"]
    assert region["electableSpecs"] == {"instanceSize": "M10", "nodeCount": 3}
    assert region["regionName"] == "EU_WEST_1"
    # The package's production defaults hold for the other app too.
    assert advanced["inputs"]["terminationProtectionEnabled"] is True and advanced["inputs"]["pitEnabled"] is True

    (endpoint,) = of_type(COMPONENT.format("PrivateEndpoint"))
    (vpce,) = within(endpoint, "aws:ec2/vpcEndpoint:VpcEndpoint")
    assert vpce["inputs"]["vpcId"] == "vpc-0a1b2c3d4e5f60718" and vpce["inputs"]["region"] == "eu-west-1"
    assert len(within(endpoint, "mongodbatlas:index/privateLinkEndpointService:PrivateLinkEndpointService")) == 1

    users = of_type(COMPONENT.format("AppUser"))
    assert len(users) == 2
    database_users = {
        u["inputs"]["username"]: u["inputs"]
        for user in users
        for u in within(user, "mongodbatlas:index/databaseUser:DatabaseUser")
    }
    assert database_users["arn:aws:iam::123456789012:role/orders-service"]["awsIamType"] == "ROLE"
    assert database_users["orders-dev-reporting"]["roles"] == [{"roleName": "read", "databaseName": "orders"}]
    assert len(of_type("aws:secretsmanager/secret:Secret")) == 1, "only the password user has a stored credential"

    assert plan["exports"]["clusterName"] == "orders-dev-db"
