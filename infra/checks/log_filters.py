"""Every log metric filter in infra/template.yaml counts a line the code writes: its
`$.fields.message` is the message of a `tracing` call in functions/ or shared/src/ (a
filter whose message no code logs stays at zero, and its alarm never fires). And the
other way for the intake: every error it logs is counted by a filter on its log group,
since an intake error is a 5xx answer inside a successful invocation, which the
function's Errors metric never shows. Run by `make test`; `--self-test` shows the check
fails on a message nobody logs and on an intake error nothing counts.
"""

import copy
import re
import sys
from pathlib import Path

from deploy_rules import read_template

ROOT = Path(__file__).resolve().parents[2]
PATTERN = re.compile(r'^\{ \$\.fields\.message = "([^"]+)" \}$')


def logged_messages(folders=("functions", "shared/src"), level=r"(?:error|warn|info|debug)") -> set[str]:
    # A tracing macro call up to its end; the message is its last string literal.
    call = re.compile(r"tracing::" + level + r"!\((.*?)\);", re.S)
    messages = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.rs"):
            for found in call.finditer(path.read_text(encoding="utf-8")):
                literals = re.findall(r'"((?:[^"\\]|\\.)*)"', found.group(1))
                if literals:
                    messages.add(literals[-1])
    return messages


def uncounted_intake_errors(template: dict, errors: set[str]) -> list[str]:
    counted = set()
    for res in metric_filters(template):
        props = res.get("Properties", {})
        found = PATTERN.match(props.get("FilterPattern", ""))
        if found and props.get("LogGroupName") == {"Ref": "IntakeLogs"}:
            counted.add(found.group(1))
    return [
        f"the intake logs the error {m!r}, which no metric filter on IntakeLogs counts (no alarm would fire)"
        for m in sorted(errors - counted)
    ]


def problems_of(template: dict, logged: set[str]) -> list[str]:
    problems = []
    for name, res in template.get("Resources", {}).items():
        if res.get("Type") != "AWS::Logs::MetricFilter":
            continue
        pattern = res.get("Properties", {}).get("FilterPattern", "")
        found = PATTERN.match(pattern)
        if not found:
            problems.append(f'{name}: FilterPattern {pattern!r} is not {{ $.fields.message = "…" }}')
        elif found.group(1) not in logged:
            problems.append(f"{name} counts {found.group(1)!r}, which no tracing call in functions/ or shared/src/ logs")
    return problems


def metric_filters(template: dict) -> list[dict]:
    return [r for r in template.get("Resources", {}).values() if r.get("Type") == "AWS::Logs::MetricFilter"]


def main() -> int:
    template = read_template()
    if template is None:
        return 1
    logged = logged_messages()
    intake_errors = logged_messages(("functions/intake/src",), "error")
    problems = problems_of(template, logged) + uncounted_intake_errors(template, intake_errors)
    if "--self-test" in sys.argv:
        if not uncounted_intake_errors(template, intake_errors | {"an error nothing counts"}):
            problems.append("the check did not catch an intake error no filter counts")
        broken = copy.deepcopy(template)
        filters = metric_filters(broken)
        if not filters:
            problems.append("the self-test found no metric filter to break")
        else:
            filters[0]["Properties"]["FilterPattern"] = '{ $.fields.message = "nobody logs this" }'
            if not problems_of(broken, logged):
                problems.append("the check did not catch a filter on a message nobody logs")
    for p in problems:
        print(f"infra/template.yaml: {p}", file=sys.stderr)
    if not problems:
        print(f"infra/template.yaml: each of its {len(metric_filters(template))} log metric filters counts a line the code logs")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
