"""Every log metric filter in infra/template.yaml counts a line the code writes: its
`$.fields.message` is the message of a `tracing` call in functions/ or shared/src/ (a
filter whose message no code logs stays at zero, and its alarm never fires). Run by
`make test`; `--self-test` shows the check fails on a message nobody logs.
"""

import copy
import re
import sys
from pathlib import Path

from deploy_rules import read_template

ROOT = Path(__file__).resolve().parents[2]
PATTERN = re.compile(r'^\{ \$\.fields\.message = "([^"]+)" \}$')
# A tracing macro call up to its end; the message is its last string literal.
CALL = re.compile(r"tracing::(?:error|warn|info|debug)!\((.*?)\);", re.S)


def logged_messages() -> set[str]:
    messages = set()
    for folder in ("functions", "shared/src"):
        for path in (ROOT / folder).rglob("*.rs"):
            for call in CALL.finditer(path.read_text(encoding="utf-8")):
                literals = re.findall(r'"((?:[^"\\]|\\.)*)"', call.group(1))
                if literals:
                    messages.add(literals[-1])
    return messages


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
    problems = problems_of(template, logged)
    if "--self-test" in sys.argv:
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
