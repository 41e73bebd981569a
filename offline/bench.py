"""`make bench`: what the offline preview costs beyond importing the SDKs it uses.

For each stack: the wall time of `python -m offline.preview --stack S` (best of N runs, as a
newcomer runs it), against the wall time of a bare `python -c "import ..."` of exactly the SDK
modules that preview loaded (found by planning the stack once and reading `sys.modules`).
The ratio says how much the program, the mock runtime and the printing add on top of the
imports, which nothing here can make faster. The prod stack must stay under 1.5.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from .runner import ROOT
from .stackfile import available_stacks

SDK_PACKAGES = ("pulumi", "pulumi_mongodbatlas", "pulumi_aws", "pulumi_random", "pydantic", "pydantic_core", "yaml", "grpc")
PROD_LIMIT = 1.5


def _best_wall_time(command: list[str], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def sdk_modules(stack: str) -> list[str]:
    """The SDK modules a plan of `stack` loads (top-level packages and the submodules it touched)."""
    script = (
        "import json, sys\n"
        "from offline.runner import run_stack\n"
        f"run_stack({stack!r})\n"
        f"roots = {SDK_PACKAGES!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in roots and '._' not in m)))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True)
    return list(json.loads(result.stdout.strip().splitlines()[-1]))


def bench_stack(stack: str, runs: int) -> dict[str, float]:
    modules = sdk_modules(stack)
    imports = _best_wall_time([sys.executable, "-c", "import " + ", ".join(modules)], runs)
    preview = _best_wall_time([sys.executable, "-m", "offline.preview", "--stack", stack], runs)
    return {"preview_s": preview, "imports_s": imports, "ratio": preview / imports, "modules": float(len(modules))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement; the best is kept")
    parser.add_argument("--stack", action="append", help="stack(s) to measure (default: all)")
    args = parser.parse_args(argv)

    stacks = args.stack or available_stacks(ROOT)
    print(f"Offline preview vs bare SDK imports, best of {args.runs} runs each (python {sys.version.split()[0]})")
    print(f"{'stack':<10} {'preview s':>10} {'imports s':>10} {'ratio':>7} {'SDK modules':>12}")
    failed = False
    for stack in stacks:
        row = bench_stack(stack, args.runs)
        over = stack == "prod" and row["ratio"] >= PROD_LIMIT
        failed |= over
        flag = f"  over the {PROD_LIMIT} limit" if over else ""
        times = f"{row['preview_s']:>10.3f} {row['imports_s']:>10.3f} {row['ratio']:>7.2f}"
        print(f"{stack:<10} {times} {int(row['modules']):>12}{flag}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
