"""Every environment variable a function's code reads is set by the template for that
function or has a default in code (the short list below, each with its reason), and
every variable the template sets for a function is read by that function's code.

The code is read statically: a function is its crate (functions/<binary>/src) plus the
library (shared/src), test code left out. A read whose variable name the scanner cannot
tell fails the check rather than passing unseen.

    .venv-sam/bin/python infra/checks/env_check.py [TEMPLATE]
"""

import re
import sys
from pathlib import Path

import template_model as tm

ROOT = tm.ROOT

# Read, but fine to leave unset in a deployment: the code's default is the right value.
OPTIONAL = {
    "MODELWATCH_CONFIG_FILE": "local runs and tests; a deployment uses the bundled infra/modelwatch.yaml",
    "MODELWATCH_SLACK_URL": "Slack's Web API unless pointed at the emulator's fake",
    "MODELWATCH_PAGERDUTY_URL": "PagerDuty's Events API unless pointed at the emulator's fake",
    "MODELWATCH_DATADOG_URL": "the API of MODELWATCH_DATADOG_SITE unless pointed at the emulator's fake",
    "MODELWATCH_TOKEN_HEADER": "X-Modelwatch-Token, as the README tells Datadog to send",
    "MODELWATCH_BASIC_USER": "datadog, as the README's basic-auth URL says",
    "MODELWATCH_REPORT_CHANNEL": "optional: else routing.default_slack_channel",
    "MODELWATCH_REPORT_CHANNEL_*": "optional: per audience, else MODELWATCH_REPORT_CHANNEL",
    "AWS_ENDPOINT_URL": "unset in AWS; a local emulator's endpoint, named when DynamoDB cannot be reached",
    "AWS_ENDPOINT_URL_DYNAMODB": "unset in AWS; a local emulator's endpoint, named when DynamoDB cannot be reached",
    "SSL_CERT_FILE": "unset: HTTPS trusts the compiled-in roots; set (a private CA's bundle): only what it names (http/roots.rs)",
    "SSL_CERT_DIR": "unset: HTTPS trusts the compiled-in roots; set: only what it names (http/roots.rs)",
}

# Set by Lambda itself in every function's environment (reserved: a template cannot set them).
LAMBDA_RUNTIME = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL",
}

# Reads of the whole environment (std::env::vars()), reviewed: what each reads in a
# deployment. A new such read fails the check until it is listed here.
WHOLE_ENVIRONMENT = {
    # Secrets::from_env: MODELWATCH_<ENTRY> as secrets, only when MODELWATCH_SECRET_ID is
    # unset (local runs); the template sets MODELWATCH_SECRET_ID, so nothing in AWS.
    "shared/src/secrets.rs": [],
    # ReportChannels::from_vars (channels.rs).
    "functions/reporter/src/settings.rs": ["MODELWATCH_REPORT_CHANNEL", "MODELWATCH_REPORT_CHANNEL_*"],
}

NAME = r"[A-Z][A-Z0-9_]*"
READ = re.compile(r"env::var(?:_os)?\(\s*([^)]*?)\s*\)")
WHOLE = re.compile(r"env::vars(?:_os)?\(\s*\)")
DEFAULT_ENV = re.compile(r"EnvFilter::(?:try_)?from_default_env\(")  # reads RUST_LOG
CONST = re.compile(rf"const ({NAME}): &str = \"({NAME})\";")
LITERAL = re.compile(r"\"((?:MODELWATCH|AWS)_[A-Z0-9_]+|RUST_LOG)\"")
COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)  # line and doc comments (may name reads)


def _strip_tests(text: str) -> str:
    """Drops `#[cfg(test)] mod ... { ... }` blocks (brace-matched)."""
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text):
        if m.start() < i:
            continue
        out.append(text[i : m.start()])
        depth, j = 1, m.end()
        while depth and j < len(text):
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    out.append(text[i:])
    return "".join(out)


def sources(binary: str, root: Path = ROOT) -> list:
    files = sorted((root / f"functions/{binary}/src").rglob("*.rs")) + sorted((root / "shared/src").rglob("*.rs"))
    # Test modules (the intake's fuzzing is one, `#[cfg(test)] mod fuzz;`), and the
    # command-line tool's own main (not part of any function).
    test_only = {"tests.rs", "fuzz.rs"}
    return [f for f in files if f.name not in test_only and "tests" not in f.parts[-2:-1] and "bin" not in f.relative_to(root).parts[:3]]


def reads(binary: str, root: Path = ROOT) -> tuple[dict, list]:
    """{variable or prefix pattern: [where read]} for one function, and the reads whose
    variable cannot be told."""
    # Comments are blanked, not removed, so line numbers stay right.
    files = {f: COMMENT.sub("", _strip_tests(f.read_text(encoding="utf-8"))) for f in sources(binary, root)}
    consts = {k: v for text in files.values() for k, v in CONST.findall(text)}
    found, unknown = {}, []

    def add(name, where):
        found.setdefault(name, []).append(where)

    for f, text in files.items():
        rel = str(f.relative_to(root))
        for m in READ.finditer(text):
            where = f"{rel}:{text.count(chr(10), 0, m.start()) + 1}"
            arg = m.group(1)
            if re.fullmatch(rf"\"{NAME}\"", arg):
                add(arg.strip('"'), where)
            elif arg in consts:
                add(consts[arg], where)
            elif re.fullmatch(r"[a-z_][a-z0-9_]*", arg):
                # A closure or function parameter: the names are the literals passed in
                # this file (`url("MODELWATCH_SLACK_URL", ...)`).
                passed = LITERAL.findall(text)
                if not passed:
                    unknown.append(f"{where}: env::var({arg}) and no variable name in the file")
                for name in passed:
                    add(name, where)
            else:
                unknown.append(f"{where}: env::var({arg}): cannot tell which variable")
        for m in WHOLE.finditer(text):
            where = f"{rel}:{text.count(chr(10), 0, m.start()) + 1}"
            if rel not in WHOLE_ENVIRONMENT:
                unknown.append(f"{where}: reads the whole environment; list what it reads in WHOLE_ENVIRONMENT")
            for name in WHOLE_ENVIRONMENT.get(rel, []):
                add(name, where)
        for m in DEFAULT_ENV.finditer(text):
            add("RUST_LOG", f"{rel}:{text.count(chr(10), 0, m.start()) + 1}")
    return found, unknown


def _covers(pattern: str, name: str) -> bool:
    return pattern == name or (pattern.endswith("*") and name.startswith(pattern[:-1]))


def check(cfn: dict, sam: dict, root: Path = ROOT) -> tuple[list, list]:
    """Report lines and failures."""
    report, failures = [], []
    read_anywhere = set()
    for lid, fn in sorted(tm.functions(cfn, sam).items()):
        found, unknown = reads(fn.binary, root)
        read_anywhere |= set(found)
        failures += [f"{lid} ({fn.binary}): {u}" for u in unknown]
        env = fn.env
        for name, where in sorted(found.items()):
            if name in env:
                verdict = "set by the template"
            elif name in LAMBDA_RUNTIME:
                verdict = "set by Lambda"
            elif any(_covers(p, name) for p in OPTIONAL):
                verdict = "default in code"
            else:
                verdict = "MISSING"
                failures.append(
                    f"{lid} ({fn.binary}): reads {name} ({where[0]}) but the template does not set it for this "
                    f"function and it has no reviewed default (expected it under the function's Environment)"
                )
            report.append(f"  {lid:18} reads {name:30} {verdict}")
        for name in sorted(env):
            if name in LAMBDA_RUNTIME:
                failures.append(f"{lid} ({fn.binary}): the template sets {name}, which Lambda reserves (the deploy would fail)")
            elif not any(_covers(p, name) for p in found):
                failures.append(
                    f"{lid} ({fn.binary}): the template sets {name}, which nothing in functions/{fn.binary}/src or "
                    f"shared/src reads (expected it removed from this function's Environment)"
                )
                report.append(f"  {lid:18} sets  {name:30} NOT READ")
    for pattern in OPTIONAL:
        if not any(_covers(pattern, n) or n == pattern for n in read_anywhere):
            failures.append(f"env_check.OPTIONAL lists {pattern}, which no function reads any more (expected it removed)")
    return report, failures


def main(argv: list) -> int:
    path = Path(argv[1]) if len(argv) > 1 else tm.TEMPLATE
    report, failures = check(tm.translate(path), tm.source(path))
    print(f"Environment variables per function ({path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}):")
    print("\n".join(report))
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    if failures:
        return 1
    print("env check: every variable read is set or defaulted, every variable set is read")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
