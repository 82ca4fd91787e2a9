"""make deploy-check, after `sam build`: `sam package` of the template `sam deploy` would
use, to the emulator's S3; the uploaded zips checked (package_check.py); then the stack
created in the emulator's CloudFormation from SAM's translation, as a smoke test.

Run inside tests/emulator/with-dynamodb (moto serves S3, CloudFormation, Lambda, IAM ...
on the same port), under .venv-sam/bin/python. moto's CloudFormation does not implement
every resource type: those are reported as moto's gaps, not failures. A resource moto
does implement that was not created, or a created function whose code or environment is
not what the template says, fails.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
from samcli.yamlhelper import yaml_parse

import deploy_template
import package_check
import template_model as tm

ROOT = tm.ROOT
OUT = ROOT / "target/deploy-check"
SAM = ROOT / ".venv-sam/bin/sam"
BUCKET = "modelwatch-deploy-check"
STACK = "modelwatch-deploycheck"
PARAMS = {"EnvironmentName": "deploycheck"}
# Created by moto's CloudFormation and checked after: a gap here is a real failure.
# (moto 5.2's CloudFormation skips AWS::SecretsManager::Secret with GenerateSecretString,
# and creates functions without their Architectures: both reported, not failed.)
MUST_CREATE = {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::IAM::Role", "AWS::Lambda::Function", "AWS::Logs::LogGroup"}


def aws_env(endpoint: str) -> dict:
    return dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_DEFAULT_REGION=tm.REGION, AWS_REGION=tm.REGION,
                AWS_ACCESS_KEY_ID="deploy-check", AWS_SECRET_ACCESS_KEY="deploy-check", SAM_CLI_TELEMETRY="0")


def package(endpoint: str, s3) -> Path:
    template = deploy_template.resolved_template("deploy", ROOT, deploy_template.deploy_config())
    built = (ROOT / deploy_template.BUILT).resolve()
    if template != built:
        sys.exit(f"FAIL sam deploy would use {template}, expected {built}: not packaging the wrong template")
    s3.create_bucket(Bucket=BUCKET)
    out = OUT / "packaged.yaml"
    started = time.time()
    subprocess.run([str(SAM), "package", "--template-file", str(template), "--s3-bucket", BUCKET, "--output-template-file", str(out),
                    "--region", tm.REGION, "--no-progressbar"], check=True, env=aws_env(endpoint), stdout=subprocess.DEVNULL)
    print(f"sam package: {template.relative_to(ROOT)} -> s3://{BUCKET} in {time.time() - started:.1f} s")
    return out


def create_stack(endpoint: str, session, packaged: Path) -> tuple[list, list]:
    cfn = tm.translate(packaged, PARAMS)
    client = session.client("cloudformation", endpoint_url=endpoint)
    client.create_stack(StackName=STACK, TemplateBody=json.dumps(cfn), Capabilities=["CAPABILITY_IAM"],
                        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in PARAMS.items()])
    for _ in range(240):
        stack = client.describe_stacks(StackName=STACK)["Stacks"][0]
        if not stack["StackStatus"].endswith("IN_PROGRESS"):
            break
        time.sleep(0.5)
    # moto lists a resource it skipped as an entry with an empty logical id.
    summaries = [r for r in client.list_stack_resources(StackName=STACK)["StackResourceSummaries"] if r.get("LogicalResourceId")]
    (OUT / "stack-resources.json").write_text(json.dumps(summaries, indent=1, default=str))
    created = {r["LogicalResourceId"]: r for r in summaries}
    report = [f"  stack {STACK}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}".rstrip()]
    failures, gaps = [], []
    for lid, r in sorted(cfn["Resources"].items()):
        got = created.get(lid)
        if got and got["ResourceStatus"].endswith("COMPLETE"):
            continue
        status = got["ResourceStatus"] if got else "not created"
        if r["Type"] in MUST_CREATE:
            failures.append(f"moto's CloudFormation did not create {lid} ({r['Type']}): {status}")
        else:
            gaps.append(f"{lid} ({r['Type']})")
    report.append(f"  created {sum(1 for r in created.values() if r['ResourceStatus'].endswith('COMPLETE'))} of {len(cfn['Resources'])} resources")
    if gaps:
        report.append(f"  moto's gaps (not created, not a failure): {', '.join(gaps)}")
    failures += check_functions(session, endpoint, cfn, created, report)
    return report, failures


def check_functions(session, endpoint: str, cfn: dict, created: dict, report: list) -> list:
    """Each created function as Lambda holds it: runtime, handler, architecture, and the
    environment with CloudFormation's values (the table's name, the secret's ARN)."""
    lam = session.client("lambda", endpoint_url=endpoint)
    failures = []
    physical = {lid: r.get("PhysicalResourceId") for lid, r in created.items()}
    for lid, r in cfn["Resources"].items():
        if r["Type"] != "AWS::Lambda::Function" or not physical.get(lid):
            continue
        conf = lam.get_function(FunctionName=physical[lid])["Configuration"]
        env = conf.get("Environment", {}).get("Variables", {})
        p = r["Properties"]
        if conf.get("Runtime") != p["Runtime"] or conf.get("Handler") != p["Handler"]:
            failures.append(f"{lid}: runtime/handler {conf.get('Runtime')}/{conf.get('Handler')}, expected {p['Runtime']}/{p['Handler']}")
        code = p["Code"]
        uploaded = session.client("s3", endpoint_url=endpoint).head_object(Bucket=code["S3Bucket"], Key=code["S3Key"])["ContentLength"]
        if conf.get("CodeSize") != uploaded:
            failures.append(f"{lid}: the function's code is {conf.get('CodeSize')} bytes, expected the uploaded zip's {uploaded}")
        if env.get("MODELWATCH_TABLE") != physical.get("AlertsTable"):
            failures.append(f"{lid}: MODELWATCH_TABLE={env.get('MODELWATCH_TABLE')!r}, expected the stack's table {physical.get('AlertsTable')!r}")
        secret = physical.get("Secrets")
        if secret and env.get("MODELWATCH_SECRET_ID") != secret:
            failures.append(f"{lid}: MODELWATCH_SECRET_ID={env.get('MODELWATCH_SECRET_ID')!r}, expected the stack's secret {secret!r}")
        report.append(f"  {lid}: {conf.get('Runtime')}, code {conf.get('CodeSize'):,} bytes (the uploaded zip), "
                      f"MODELWATCH_TABLE={env.get('MODELWATCH_TABLE')}" + ("" if secret else " (no secret: moto's gap, MODELWATCH_SECRET_ID unresolved)"))
    return failures


def main() -> int:
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    if not endpoint:
        sys.exit("package_and_stack: run inside tests/emulator/with-dynamodb (make deploy-check)")
    OUT.mkdir(parents=True, exist_ok=True)
    session = boto3.session.Session(aws_access_key_id="deploy-check", aws_secret_access_key="deploy-check", region_name=tm.REGION)
    s3 = session.client("s3", endpoint_url=endpoint)
    packaged = package(endpoint, s3)

    def fetch(uri: str) -> bytes:
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    print("Uploaded function code:")
    report, failures = package_check.check(yaml_parse(packaged.read_text()), fetch)
    print("\n".join(report))
    print("Stack in the emulator's CloudFormation:")
    stack_report, stack_failures = create_stack(endpoint, session, packaged)
    print("\n".join(stack_report))
    failures += stack_failures
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    print(f"package and stack: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
