"""`make adopt PROJECT=<name or id> STACK=<stack>`: the command line of tools/adopt (docs/adopt.md)."""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stackconfig.environment import NAME_PATTERN, PROD, is_production, looks_like_production, stack_keys
from tests.harness.runner import ROOT
from tools.atlas_api import AtlasApiError, AtlasClient, CredentialsMissing, base_url_from_env, credentials_from_env

from . import Result, adopt, ordered
from .generate import SECTION_ORDER, Item, Target, VpcDetails
from .live import LiveProject, NoSuchCluster, read_project

APP = re.compile(r"[a-z][a-z0-9-]{1,29}")
HEADINGS = {
    "not adopted": "Not adopted: Atlas keeps these as they are, and the program never sees them",
    "changes": "Changes: what the first `pulumi up` after import would change in Atlas",
    "state": "Provider settings Atlas does not hold: the first `pulumi up` records them in the state",
    "created": "Created by the first `pulumi up` (nothing in Atlas to adopt)",
    "passwords": "Passwords (Atlas never returns them)",
    "secrets": "Secrets to set (never read from Atlas)",
    "aws": "AWS side (accounts adoption cannot see)",
    "production defaults": "Production defaults this project does not meet",
    "review": "Written as found: review before the first `pulumi up`",
    "not read": "Not read (the identity may not)",
}


class Refusal(Exception):
    """Nothing was written: one line says why."""


def _aws_endpoints(path: Path | None) -> dict[str, VpcDetails]:
    if path is None:
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise Refusal(f"cannot read AWS_ENDPOINTS {path}: {error}") from None
    return parse_aws_endpoints(document, f"AWS_ENDPOINTS {path}")


def parse_aws_endpoints(document: Any, where: str = "AWS_ENDPOINTS") -> dict[str, VpcDetails]:
    """The AWS side of each interface endpoint: `vpce-...: {vpcId, subnetIds, securityGroupId, region?, name?}`."""
    if not isinstance(document, dict):
        raise Refusal(f"{where}: expected a mapping of interface endpoint ids (vpce-...) to their VPC")
    endpoints = {}
    for endpoint_id, raw in document.items():
        if not isinstance(raw, dict) or not all(k in raw for k in ("vpcId", "subnetIds", "securityGroupId")):
            raise Refusal(f"{where}: {endpoint_id} needs vpcId, subnetIds and securityGroupId (region and name are optional)")
        endpoints[str(endpoint_id)] = VpcDetails(
            endpoint_id=str(endpoint_id),
            vpc_id=str(raw["vpcId"]),
            subnet_ids=tuple(str(s) for s in raw["subnetIds"]),
            security_group_id=str(raw["securityGroupId"]),
            region=str(raw["region"]) if raw.get("region") else None,
            name=str(raw["name"]) if raw.get("name") else None,
        )
    return endpoints


def _edited(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise Refusal(f"cannot read STACK_FILE {path}: {error}") from None


def _environment(stack: str, given: str | None, production: bool | None) -> tuple[str, bool, bool]:
    environment = given or stack
    if not re.fullmatch(NAME_PATTERN, environment):
        raise Refusal(
            f"{environment!r} is not an environment name (1-20 lowercase letters, digits, hyphens): give ENVIRONMENT=<name>"
        )
    if production is False and environment == PROD:
        raise Refusal("environment prod is production: drop PRODUCTION=false")
    if production is None and environment != PROD and looks_like_production(environment):
        raise Refusal(f"environment {environment!r} reads as production: say PRODUCTION=true or PRODUCTION=false")
    return environment, is_production(stack_keys(environment, production)), production is not None and environment != PROD


def _app(project_name: str, environment: str, given: str | None) -> str:
    if given:
        if not APP.fullmatch(given):
            raise Refusal(f"APP={given!r} is not an application name (2-30 lowercase letters, digits, hyphens, a letter first)")
        return given
    stem = project_name.removesuffix(f"-{environment}")
    if stem != project_name and APP.fullmatch(stem):
        return stem
    raise Refusal(
        f"cannot tell the application's name from project {project_name!r}: give APP=<name> (resources are named <app>-{environment}-...)"
    )


def report(project: str, written: list[Path], items: list[Item], loads: bool, imports: int) -> str:
    lines = [f"# Adoption of Atlas project {project}", ""]
    lines += [f"Wrote {', '.join(str(p) for p in written)}."]
    if loads:
        lines.append(
            f"The stack file loads and plans; the import document adopts {imports} resources (docs/adopt.md: next steps)."
        )
    else:
        lines.append(
            'The stack file does not load yet: make the edits under "Not adopted", then run `make preview` and adopt again.'
        )
    for section in SECTION_ORDER:
        chosen = [i for i in ordered(items) if i.section == section]
        if chosen:
            lines += ["", f"## {HEADINGS[section]} ({len(chosen)})", ""]
            lines += [f"- **{i.subject}**: {i.text}" for i in chosen]
    return "\n".join(lines) + "\n"


@dataclass
class Run:
    """One run of `make adopt`: its exit code, what it wrote and printed, and what it read and found."""

    code: int
    report: str = ""
    error: str = ""
    written: list[Path] = field(default_factory=list)
    live: LiveProject | None = None
    result: Result | None = None


def run(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> Run:
    parser = argparse.ArgumentParser(prog="make adopt", description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True, help="the Atlas project's name or 24-hex id")
    parser.add_argument("--stack", required=True)
    parser.add_argument("--app", help="the application name (default: the project's name without -<environment>)")
    parser.add_argument("--environment", help="the environment name (default: the stack's)")
    parser.add_argument("--production", choices=("true", "false"), help="whether it is production (default: prod only)")
    parser.add_argument("--cluster", help="the cluster to adopt when the project has several")
    parser.add_argument(
        "--aws-endpoints", type=Path, help="YAML: each interface endpoint id -> vpcId, subnetIds, securityGroupId"
    )
    parser.add_argument(
        "--stack-file",
        type=Path,
        help="this adoption's stack file as you edited it: write only its import document (names follow your edits)",
    )
    parser.add_argument("--out-dir", type=Path, default=ROOT)
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    parser.add_argument("--today", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    stack_path = args.out_dir / f"Pulumi.{args.stack}.yaml"
    import_path = args.out_dir / f"import-{args.stack}.json"
    try:
        if not args.project.strip():
            raise Refusal("give PROJECT=<the Atlas project's name or id>")
        production = None if args.production is None else args.production == "true"
        environment, is_prod, write_production = _environment(args.stack, args.environment, production)
        edited = _edited(args.stack_file)
        # With an edited stack file, the import document is derived again from it: the older one is replaced.
        if not args.force and edited is None:
            for path in (stack_path, import_path):
                if path.exists():
                    raise Refusal(f"{path} exists; adoption writes a new stack file: move it away, or pass --force")
        endpoints = _aws_endpoints(args.aws_endpoints)
        credentials = credentials_from_env(environ)
        with AtlasClient(credentials, base_url_from_env(environ)) as client:
            live = read_project(client, args.project, args.cluster)
        target = Target(
            stack=args.stack,
            app=_app(str(live.group["name"]), environment, args.app),
            environment=environment,
            production=is_prod,
            write_production=write_production,
            today=args.today or datetime.datetime.now(datetime.UTC).date().isoformat(),
            aws_endpoints=endpoints,
            cluster=args.cluster,
        )
    except (Refusal, CredentialsMissing, NoSuchCluster) as error:
        return Run(2, error=f"make adopt: nothing written: {error}")
    except AtlasApiError as error:
        return Run(2, error=f"make adopt: nothing written: {error.one_line()}")
    result = adopt(live, target, stack_file=edited)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if edited is None:
        stack_path.write_text(result.stack_file, encoding="utf-8")
        written.append(stack_path)
    imports = 0
    if result.document is not None:
        document: dict[str, Any] = result.document
        import_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        written.append(import_path)
        imports = sum(1 for r in document["resources"] if not r.get("component"))
    text = report(str(live.group["name"]), written, result.items, result.loads, imports)
    return Run(0 if result.loads else 1, report=text, written=written, live=live, result=result)


def main(argv: list[str] | None = None) -> int:
    outcome = run(argv)
    if outcome.error:
        print(outcome.error, file=sys.stderr)
    print(outcome.report, end="")
    return outcome.code


if __name__ == "__main__":
    sys.exit(main())
