"""`make audit`: pip-audit on the installed (locked) dependencies, the project itself left out.

pip-audit says "No known vulnerabilities found" even when it could look nothing up (no route to its
vulnerability database: every package is then skipped as "not found on PyPI"). This wrapper counts what
was really audited and fails (exit 2) when a dependency could not be, so a green result means something.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def main() -> int:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    run = subprocess.run(  # noqa: S603 - our own venv's pip-audit, fixed arguments
        [str(pip_audit), "--local", "--skip-editable", "-f", "json", *sys.argv[1:]],
        capture_output=True, text=True, check=False,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(run.stderr or run.stdout)
        print("audit: pip-audit gave no report")
        return 2
    deps = [d for d in report["dependencies"] if d.get("skip_reason") != "distribution marked as editable"]
    skipped = [d for d in deps if "skip_reason" in d]
    vulnerable = [d for d in deps if d.get("vulns")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
            print(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    audited = len(deps) - len(skipped)
    print(f"audit: {audited} of {len(deps)} dependencies audited, {len(vulnerable)} with known vulnerabilities")
    if skipped:
        print(f"audit: {len(skipped)} could not be audited, e.g. {skipped[0]['skip_reason']}")
        print("audit: no answer from the vulnerability database (PyPI's JSON API or OSV): "
              "run it where one of them is reachable")
        return 2
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
