"""What `sam package` uploaded for each function, checked as Lambda will take it: a zip
with an executable `bootstrap` at its root, an ELF for the template's architecture, within
Lambda's limits for a direct upload (50 MB zipped, 250 MB unzipped).

    package_check.check(packaged_template_dict, fetch) -> (report lines, failures)

`fetch(s3_uri) -> bytes` reads an uploaded object (moto's S3 in make deploy-check).
"""

import io
import stat
import zipfile

MAX_ZIPPED = 50 * 1024 * 1024
MAX_UNZIPPED = 250 * 1024 * 1024
# ELF e_machine per Lambda architecture.
MACHINES = {"arm64": 0xB7, "x86_64": 0x3E}


def _elf_machine(data: bytes) -> int | None:
    if data[:4] != b"\x7fELF":
        return None
    little = data[5] == 1
    return int.from_bytes(data[18:20], "little" if little else "big")


def check_zip(name: str, blob: bytes, arch: str) -> tuple[str, list]:
    failures = []
    try:
        z = zipfile.ZipFile(io.BytesIO(blob))
    except zipfile.BadZipFile:
        return f"{name}: not a zip", [f"{name}: the uploaded code is not a zip ({len(blob)} bytes)"]
    infos = z.infolist()
    unzipped = sum(i.file_size for i in infos)
    boot = next((i for i in infos if i.filename == "bootstrap"), None)
    if len(blob) > MAX_ZIPPED:
        failures.append(f"{name}: {len(blob):,} bytes zipped, over Lambda's {MAX_ZIPPED:,} for a direct upload")
    if unzipped > MAX_UNZIPPED:
        failures.append(f"{name}: {unzipped:,} bytes unzipped, over Lambda's {MAX_UNZIPPED:,}")
    if boot is None:
        shown = ", ".join(i.filename for i in infos[:5]) + (" ..." if len(infos) > 5 else "")
        failures.append(f"{name}: no bootstrap at the zip's root (it holds {len(infos)} files: {shown}); expected the built function")
        return f"{name}: {len(infos)} files, no bootstrap", failures
    mode = boot.external_attr >> 16
    if not mode & stat.S_IXUSR:
        failures.append(f"{name}: bootstrap is not executable in the zip (mode {oct(mode)}); Lambda would fail with permission denied")
    machine = _elf_machine(z.read(boot)[:64])
    if machine != MACHINES.get(arch):
        got = {v: k for k, v in MACHINES.items()}.get(machine, "not an ELF" if machine is None else f"e_machine {machine:#x}")
        failures.append(f"{name}: bootstrap is {got}, expected an {arch} ELF (the template's Architectures)")
    extra = [i.filename for i in infos if i.filename != "bootstrap"]
    line = (f"{name}: bootstrap {oct(mode & 0o777)} {arch} ELF, {len(blob):,} bytes zipped, {unzipped:,} unzipped"
            + (f", also {extra}" if extra else ""))
    return line, failures


def check(packaged: dict, fetch) -> tuple[list, list]:
    glob = packaged.get("Globals", {}).get("Function", {})
    report, failures = [], []
    functions = {k: r for k, r in packaged["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}
    if not functions:
        failures.append("the packaged template has no AWS::Serverless::Function")
    for lid, r in functions.items():
        p = r.get("Properties", {})
        uri = p.get("CodeUri", glob.get("CodeUri"))
        arch = (p.get("Architectures") or glob.get("Architectures") or ["x86_64"])[0]
        if not (isinstance(uri, str) and uri.startswith("s3://")):
            failures.append(f"{lid}: CodeUri {uri!r} after sam package, expected an s3:// URI of the uploaded zip")
            continue
        line, f = check_zip(lid, fetch(uri), arch)
        report.append(f"  {line}")
        failures += f
    return report, failures
