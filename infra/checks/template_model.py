"""The deployed shape of infra/template.yaml, as the deploy checks need it: translated by
SAM's own translator (so Globals are merged and events become the resources Lambda
really gets), with intrinsic functions resolved to the values of one test deployment.

Run under the SAM CLI's virtualenv (.venv-sam), which brings the translator.
"""

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("SAM_CLI_TELEMETRY", "0")

from samcli.lib.translate.sam_template_validator import SamTemplateValidator  # noqa: E402
from samcli.yamlhelper import yaml_parse  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra/template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account


class _NoManagedPolicies:
    """The template names no AWS managed policy; the translator must not need the list."""

    def load(self):
        raise RuntimeError("the template asks for an AWS managed policy: the checks cannot list those offline")


def source(path: Path = TEMPLATE) -> dict:
    return yaml_parse(path.read_text(encoding="utf-8"))


def translate(path: Path = TEMPLATE, parameters: dict | None = None) -> dict:
    """The CloudFormation template `sam deploy` would hand to CloudFormation's transform."""
    validator = SamTemplateValidator(source(path), _NoManagedPolicies(), region=REGION, parameter_overrides=parameters or {})
    return yaml_parse(validator.get_translated_template_if_valid())


class Unresolved(Exception):
    pass


class Resolver:
    """Resolves Ref, Fn::GetAtt, Fn::Sub and Fn::Join against known values.

    `refs` maps a parameter or logical id to what Ref returns; `attrs` maps "Id.Attr".
    Anything else raises Unresolved naming it, so a check never compares a half-resolved
    value by accident.
    """

    def __init__(self, refs: dict, attrs: dict):
        self.refs = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", **refs}
        self.attrs = attrs

    def _ref(self, name: str):
        if name not in self.refs:
            raise Unresolved(f"Ref {name}: no test value for it (add it to the deploy checks' values)")
        return self.refs[name]

    def _att(self, name: str):
        if name not in self.attrs:
            raise Unresolved(f"Fn::GetAtt {name}: no test value for it (add it to the deploy checks' values)")
        return self.attrs[name]

    def _sub(self, text: str, extra: dict) -> str:
        def one(m):
            name = m.group(1)
            if name in extra:
                return str(self.resolve(extra[name]))
            return str(self._att(name) if "." in name else self._ref(name))

        return re.sub(r"\$\{([^}!]+)\}", one, text)

    def resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Ref":
                return self._ref(arg)
            if fn == "Fn::GetAtt":
                return self._att(".".join(arg) if isinstance(arg, list) else arg)
            if fn == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return self._sub(text, extra)
            if fn == "Fn::Join":
                return arg[0].join(str(v) for v in self.resolve(arg[1]))
            if fn.startswith("Fn::"):
                raise Unresolved(f"{fn} is not supported by the deploy checks' resolver")
        return {k: self.resolve(v) for k, v in value.items()}


@dataclass
class Function:
    """One AWS::Lambda::Function as deployed, and what the template wires to it."""

    logical_id: str
    binary: str
    props: dict
    # Event sources, schedules and rules whose target is this function.
    mappings: list = field(default_factory=list)
    rules: list = field(default_factory=list)
    schedules: list = field(default_factory=list)
    routes: list = field(default_factory=list)

    @property
    def env(self) -> dict:
        return self.props.get("Environment", {}).get("Variables", {})

    @property
    def role_id(self) -> str:
        role = self.props.get("Role", {})
        if not (isinstance(role, dict) and "Fn::GetAtt" in role):
            raise Unresolved(f"{self.logical_id}: Role is not !GetAtt <Role>.Arn; the IAM check reads the role from the template")
        return role["Fn::GetAtt"][0]


def _target_of(arn_value) -> str | None:
    """The logical id of the function an Arn/FunctionName value points at."""
    if isinstance(arn_value, dict):
        if "Fn::GetAtt" in arn_value:
            return arn_value["Fn::GetAtt"][0]
        if "Ref" in arn_value:
            return arn_value["Ref"]
    return None


def functions(cfn: dict, sam: dict) -> dict:
    """Every function of the translated template `cfn`, with the HTTP routes `sam` gives it."""
    res = cfn["Resources"]
    out = {}
    for lid, r in res.items():
        if r["Type"] == "AWS::Lambda::Function":
            binary = r.get("Metadata", {}).get("BuildProperties", {}).get("Binary", lid)
            out[lid] = Function(lid, binary, r["Properties"])
    for lid, r in res.items():
        p = r.get("Properties", {})
        if r["Type"] == "AWS::Lambda::EventSourceMapping":
            out[_target_of(p["FunctionName"])].mappings.append(p)
        elif r["Type"] == "AWS::Events::Rule":
            for t in p.get("Targets", []):
                if _target_of(t["Arn"]) in out:
                    out[_target_of(t["Arn"])].rules.append({"name": lid, **t})
        elif r["Type"] == "AWS::Scheduler::Schedule":
            t = p["Target"]
            if _target_of(t["Arn"]) in out:
                out[_target_of(t["Arn"])].schedules.append({"name": lid, **t})
    for lid, r in sam["Resources"].items():
        for ev in (r.get("Properties", {}).get("Events") or {}).values():
            if ev.get("Type") == "HttpApi" and lid in out:
                out[lid].routes.append((ev["Properties"]["Method"].upper(), ev["Properties"]["Path"]))
    return out


def test_values(cfn: dict, parameters: dict, table_name: str, secret_arn: str) -> Resolver:
    """Ref/GetAtt values of one test deployment: the table and secret the test created,
    and ARNs in moto's account for the rest."""
    params = {k: v.get("Default") for k, v in cfn.get("Parameters", {}).items()}
    params.update(parameters)
    refs = dict(params)
    attrs = {}
    table_arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table_name}"
    for lid, r in cfn["Resources"].items():
        t = r["Type"]
        if t == "AWS::DynamoDB::Table":
            refs[lid] = table_name
            attrs[f"{lid}.Arn"] = table_arn
            attrs[f"{lid}.StreamArn"] = f"{table_arn}/stream/smoke"
        elif t == "AWS::SecretsManager::Secret":
            refs[lid] = secret_arn
        elif t == "AWS::SQS::Queue":
            refs[lid] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{lid}"
            attrs[f"{lid}.Arn"] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{lid}"
            attrs[f"{lid}.QueueName"] = lid
        elif t == "AWS::Logs::LogGroup":
            name = f"/aws/lambda/{lid}"
            refs[lid] = name
            # CloudFormation's LogGroup Arn ends in ":*".
            attrs[f"{lid}.Arn"] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"
        elif t == "AWS::IAM::Role":
            attrs[f"{lid}.Arn"] = f"arn:aws:iam::{ACCOUNT}:role/{lid}"
        elif t == "AWS::Lambda::Function":
            refs[lid] = lid
            attrs[f"{lid}.Arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{lid}"
    resolver = Resolver(refs, attrs)
    # Names the template computes (FunctionName, the table's name) as it computes them.
    for lid, r in cfn["Resources"].items():
        p = r.get("Properties", {})
        if r["Type"] == "AWS::Lambda::Function" and "FunctionName" in p:
            name = resolver.resolve(p["FunctionName"])
            resolver.refs[lid] = name
            resolver.attrs[f"{lid}.Arn"] = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        if r["Type"] == "AWS::Logs::LogGroup" and "LogGroupName" in p:
            name = resolver.resolve(p["LogGroupName"])
            resolver.refs[lid] = name
            resolver.attrs[f"{lid}.Arn"] = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"
    return resolver


def table_name_of(cfn: dict, parameters: dict) -> str:
    """The alerts table's name as the template computes it."""
    for r in cfn["Resources"].values():
        if r["Type"] == "AWS::DynamoDB::Table":
            return Resolver({k: v.get("Default") for k, v in cfn.get("Parameters", {}).items()} | parameters, {}).resolve(
                r["Properties"]["TableName"]
            )
    raise Unresolved("the template has no AWS::DynamoDB::Table")


def secret_spec(cfn: dict, parameters: dict) -> tuple[str, dict]:
    """The secret's name and its GenerateSecretString, as the template declares them."""
    for r in cfn["Resources"].values():
        if r["Type"] == "AWS::SecretsManager::Secret":
            p = r["Properties"]
            resolver = Resolver({k: v.get("Default") for k, v in cfn.get("Parameters", {}).items()} | parameters, {})
            return resolver.resolve(p["Name"]), p["GenerateSecretString"]
    raise Unresolved("the template has no AWS::SecretsManager::Secret")


def dumps(value) -> str:
    return json.dumps(value, indent=1, sort_keys=True, default=str)
