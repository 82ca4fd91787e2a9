"""Which template `sam deploy --config-file infra/samconfig.toml` would upload, asked of
SAM CLI's own option handling (the same code that runs when a person types the command):
it must be the built one (.aws-sam/build/template.yaml, each function a bootstrap), never
infra/template.yaml (CodeUri: .. would zip the whole repository, with no bootstrap).

    .venv-sam/bin/python infra/checks/deploy_template.py           # in a scratch copy
    .venv-sam/bin/python infra/checks/deploy_template.py --here     # after sam build

Without --here it lays infra/samconfig.toml and infra/template.yaml in a scratch folder
with a stand-in built template, so `make test` checks the configuration without building.
"""

import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("SAM_CLI_TELEMETRY", "0")

ROOT = Path(__file__).resolve().parents[2]
CONFIG = "infra/samconfig.toml"
BUILT = ".aws-sam/build/template.yaml"


def resolved_template(command: str, root: Path, config: str = CONFIG) -> Path:
    """The template `sam COMMAND --config-file CONFIG`, run in `root`, would use."""
    import click
    from samcli.cli.main import cli

    cwd = os.getcwd()
    os.chdir(root)
    logging.disable(logging.WARNING)  # SAM's beta-feature banner and telemetry notes
    try:
        parent = cli.make_context("sam", [command])
        cmd = cli.get_command(parent, command)
        ctx: click.Context = cmd.make_context(command, ["--config-file", config], parent=parent)
        return Path(ctx.params.get("template_file") or ctx.params["template"]).resolve()
    finally:
        logging.disable(logging.NOTSET)
        os.chdir(cwd)


def check(root: Path) -> list:
    failures = []
    # (sam package takes no settings from samconfig here: sam deploy packages by itself.)
    expected = {"build": (root / "infra/template.yaml").resolve(), "deploy": (root / BUILT).resolve()}
    for command, want in expected.items():
        got = resolved_template(command, root)
        shown = got.relative_to(root) if got.is_relative_to(root) else got
        print(f"  sam {command:7} --config-file {CONFIG} uses {shown}")
        if got != want:
            failures.append(
                f"sam {command} --config-file {CONFIG} would use {shown}, expected {want.relative_to(root)}"
                + (" (template_file under [default.global.parameters] applies to deploy too: keep it under [default.build.parameters] only)"
                   if command != "build" else "")
            )
    return failures


def main(argv: list) -> int:
    if "--here" in argv:
        if not (ROOT / BUILT).exists():
            print(f"deploy_template: {BUILT} does not exist: run sam build first (make deploy-check does)", file=sys.stderr)
            return 2
        failures = check(ROOT)
    else:
        with tempfile.TemporaryDirectory(prefix="modelwatch-samconfig-") as tmp:
            scratch = Path(tmp)
            (scratch / "infra").mkdir()
            for f in ("infra/samconfig.toml", "infra/template.yaml"):
                shutil.copy(ROOT / f, scratch / f)
            (scratch / BUILT).parent.mkdir(parents=True)
            shutil.copy(ROOT / "infra/template.yaml", scratch / BUILT)  # stands in for sam build's output
            failures = check(scratch)
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    if not failures:
        print("deploy template: sam deploy uses the built template")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
