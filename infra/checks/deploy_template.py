"""Which template `make deploy`'s `sam deploy --config-file infra/deployment/samconfig.toml`
would upload, asked of SAM CLI's own option handling (the code that runs when the command
runs): it must be the built one (.aws-sam/build/template.yaml, each function a bootstrap),
never infra/template.yaml (CodeUri: .. would zip the whole repository, no bootstrap).

    .venv-sam/bin/python infra/checks/deploy_template.py           # in a scratch copy
    .venv-sam/bin/python infra/checks/deploy_template.py --here     # after sam build

The samconfig checked is infra/samconfig.example.toml, laid where `make deployment` copies
it, and the deployment's own infra/deployment/samconfig.toml when there is one. Without
--here it works in a scratch folder with a stand-in built template, so `make test` checks
the settings without building.
"""

import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("SAM_CLI_TELEMETRY", "0")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = "infra/samconfig.example.toml"
DEPLOYMENT = "infra/deployment/samconfig.toml"
BUILT = ".aws-sam/build/template.yaml"


def deploy_config() -> str:
    """The samconfig `make deploy` would use: the deployment's own, else the example it is copied from."""
    return DEPLOYMENT if (ROOT / DEPLOYMENT).exists() else EXAMPLE


def resolved_template(command: str, root: Path, config: str = DEPLOYMENT) -> Path:
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


def check(root: Path, config: str = DEPLOYMENT) -> list:
    want = (root / BUILT).resolve()
    got = resolved_template("deploy", root, config)
    shown = got.relative_to(root) if got.is_relative_to(root) else got
    print(f"  sam deploy --config-file {config} uses {shown}")
    if got != want:
        return [f"sam deploy --config-file {config} would use {shown}, expected {BUILT} "
                f"(a template_file setting applies to deploy too: keep it out of the deploy and global parameters)"]
    return []


def scratch(config_text: str) -> Path:
    """A folder laid out as `make deployment` and `sam build` leave the repository."""
    root = Path(tempfile.mkdtemp(prefix="modelwatch-samconfig-"))
    (root / "infra/deployment").mkdir(parents=True)
    (root / DEPLOYMENT).write_text(config_text)
    shutil.copy(ROOT / "infra/template.yaml", root / "infra/template.yaml")
    (root / BUILT).parent.mkdir(parents=True)
    shutil.copy(ROOT / "infra/template.yaml", root / BUILT)  # stands in for sam build's output
    return root


def main(argv: list) -> int:
    configs = [(EXAMPLE, (ROOT / EXAMPLE).read_text())]
    if (ROOT / DEPLOYMENT).exists():
        configs.append((DEPLOYMENT, (ROOT / DEPLOYMENT).read_text()))
    if "--here" in argv and not (ROOT / BUILT).exists():
        print(f"deploy_template: {BUILT} does not exist: run sam build first (make deploy-check does)", file=sys.stderr)
        return 2
    failures = []
    for name, text in configs:
        print(f"{name}:")
        if "--here" in argv:
            failures += check(ROOT, name)
        else:
            root = scratch(text)
            failures += [f.replace(DEPLOYMENT, name) for f in check(root)]
            shutil.rmtree(root)
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    if not failures:
        print("deploy template: sam deploy uses the built template")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
