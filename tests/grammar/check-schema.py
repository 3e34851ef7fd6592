#!/usr/bin/env python3
"""Check grammar/ccbuild.schema.json against the manifests that must pass
(examples/*/ccbuild.yaml, tests/grammar/good/*.yaml) and those that must fail
(tests/grammar/bad/*.yaml).  When a linking ./ccbuild is present, also check
that ccbuild agrees: lint, plan and graph on every example and every profile,
lint rejecting every bad manifest.  When docker-compose is present, check
each profile's compose file set with `docker-compose config`.  Prints TAP.

Needs python3-yaml and python3-jsonschema (Debian packages)."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

import jsonschema
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# the binary under test: tests/run sets the build directory
CCBUILD = os.path.join(os.environ.get("CCBUILD_BUILD_DIR", ROOT), "ccbuild")
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1, where off/on/yes/no are booleans; editors and
    ccbuild's rule values read them as strings.  Only true/false are
    booleans here, as in YAML 1.2 (what yaml-language-server uses)."""


Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=""):
        self.n += 1
        print(f"{'ok' if cond else 'not ok'} {self.n} - {name}")
        if not cond:
            self.failed += 1
            for line in str(diag).strip().splitlines()[:20]:
                print(f"# {line}")
        return cond


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=Yaml12Loader)


def errors(validator, doc):
    return sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))


def describe(errs):
    return "\n".join(f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errs)


def run(argv, cwd=ROOT, stdin=None):
    p = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def have_ccbuild():
    exe = CCBUILD
    return os.access(exe, os.X_OK) and run([exe, "version"])[0] == 0


def schema_only(path):
    """Good manifests marked "# schema-only" name files that do not exist,
    so ccbuild lint (which reads them) is not run on them."""
    with open(path, encoding="utf-8") as f:
        return any(line.startswith("# schema-only") for line in f.readlines()[:5])


def check_modeline(tap, path):
    with open(path, encoding="utf-8") as f:
        m = MODELINE.match(f.readline().rstrip("\n"))
    target = m and os.path.normpath(os.path.join(os.path.dirname(path), m.group(1)))
    tap.ok(target == os.path.join(ROOT, "grammar", "ccbuild.schema.json"),
           f"{rel(path)}: first line points yaml-language-server at the schema", m and m.group(0))


def rel(path):
    return os.path.relpath(path, ROOT)


def check_ccbuild_example(tap, exdir, doc):
    exe = CCBUILD
    rc, out, err = run([exe, "-C", exdir, "lint"])
    tap.ok(rc == 0, f"ccbuild -C {rel(exdir)} lint", err)
    for prof in doc.get("profiles", {}):
        # --offline: the examples name registries off this machine
        rc, out, err = run([exe, "--offline", "-C", exdir, "plan", prof])
        tap.ok(rc == 0, f"ccbuild -C {rel(exdir)} plan {prof}", err)
        rc, dot, err = run([exe, "-C", exdir, "graph", prof, "--format", "dot"])
        if not tap.ok(rc == 0, f"ccbuild -C {rel(exdir)} graph {prof} --format dot", err):
            continue
        if shutil.which("dot"):
            rc, _, err = run(["dot", "-Tsvg"], stdin=dot)
            tap.ok(rc == 0, f"  ... renders with dot -Tsvg", err)


def check_compose(tap, exdir, doc):
    base = doc.get("compose", [])
    base = [base] if isinstance(base, str) else base
    for prof, spec in (doc.get("profiles") or {}).items():
        over = (spec or {}).get("compose", [])
        over = [over] if isinstance(over, str) else over
        files = base + over
        if not files:
            continue
        argv = ["docker-compose", "--project-directory", exdir]
        for f in files:
            argv += ["-f", os.path.join(exdir, f)]
        rc, _, err = run(argv + ["config", "-q"])
        tap.ok(rc == 0, f"docker-compose config accepts {rel(exdir)} profile {prof} ({' + '.join(files)})", err)


def main():
    with open(os.path.join(ROOT, "grammar", "ccbuild.schema.json"), encoding="utf-8") as f:
        schema = json.load(f)
    tap = Tap()
    plan = []
    examples = sorted(glob.glob(os.path.join(ROOT, "examples", "*", "ccbuild.yaml")))
    good = sorted(glob.glob(os.path.join(ROOT, "tests", "grammar", "good", "*.yaml")))
    bad = sorted(glob.glob(os.path.join(ROOT, "tests", "grammar", "bad", "*.yaml")))
    ccbuild = have_ccbuild()
    compose = shutil.which("docker-compose") is not None
    print("# ccbuild: " + ("checking too" if ccbuild else "no linking ./ccbuild, skipped"))
    print("# docker-compose: " + ("checking too" if compose else "not installed, skipped"))

    try:
        jsonschema.Draft7Validator.check_schema(schema)
        schema_ok = True
    except jsonschema.SchemaError as e:
        schema_ok, schema_err = False, e
    validator = jsonschema.Draft7Validator(schema)
    plan.append(lambda: tap.ok(schema_ok, "grammar/ccbuild.schema.json is a valid draft-07 schema",
                               "" if schema_ok else schema_err))
    for path in examples + good:
        plan.append(lambda p=path: tap.ok(not errors(validator, load(p)), f"{rel(p)}: valid",
                                          describe(errors(validator, load(p)))))
        plan.append(lambda p=path: check_modeline(tap, p))
    for path in bad:
        plan.append(lambda p=path: tap.ok(bool(errors(validator, load(p))),
                                          f"{rel(p)}: rejected by the schema", "schema accepted it"))
    if ccbuild:
        exe = CCBUILD
        for path in (g for g in good if not schema_only(g)):
            plan.append(lambda p=path: tap.ok(run([exe, "-f", p, "lint"])[0] == 0, f"ccbuild lint {rel(p)}",
                                              run([exe, "-f", p, "lint"])[2]))
        for path in bad:
            plan.append(lambda p=path: tap.ok(run([exe, "-f", p, "lint"])[0] == 2,
                                              f"ccbuild lint rejects {rel(p)} (exit 2)",
                                              run([exe, "-f", p, "lint"])[2] or "it passed"))
        for path in examples:
            plan.append(lambda p=path: check_ccbuild_example(tap, os.path.dirname(p), load(p)))
    if compose:
        for path in examples:
            plan.append(lambda p=path: check_compose(tap, os.path.dirname(p), load(p)))
    for step in plan:
        step()
    print(f"1..{tap.n}")
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
