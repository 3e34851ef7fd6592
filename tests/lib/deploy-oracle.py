#!/usr/bin/env python3
"""deploy-oracle.py: the two halves of tests/t0610-deploy-spec-oracle.sh.

  deploy-oracle.py create SOCK DUMP.json   create the networks, volumes and
        containers of a `test-deploy-spec --dump` document through the Engine
        API (curl --unix-socket), as a deploy would: POST /networks/create,
        /volumes/create, /containers/create?name= with the body as is, then
        /networks/NAME/connect for each further network.  Nothing is started.
  deploy-oracle.py snapshot SOCK PROJECT   what the engine says about the
        project's containers, networks and volumes (docker inspect), as JSON
        normalised so two creations of the same model compare equal: IDs
        become the container's name, lists compose fills in Go's (random) map
        order are sorted (and depends_on's items), the hashes and image digest compose adds are
        dropped, and so are the engine's auto-assigned subnets.
"""
import json
import subprocess
import sys
import urllib.parse


def api(sock, method, path, body=None):
    cmd = ["curl", "-s", "-S", "--unix-socket", sock, "-X", method, "-w", "\n%{http_code}"]
    if body is not None:
        cmd += ["-H", "Content-Type: application/json", "--data-binary", json.dumps(body)]
    out = subprocess.run(cmd + ["http://localhost/v1.41" + path], check=True, capture_output=True, text=True).stdout
    text, _, code = out.rpartition("\n")
    if not code.startswith("2"):
        sys.exit("%s %s: %s %s" % (method, path, code, text))
    return json.loads(text) if text.strip() else None


def create(sock, dump):
    doc = json.load(open(dump))
    for kind in ("networks", "volumes"):
        for r in doc["project"][kind]:
            if r["create"] is not None:
                api(sock, "POST", "/%s/create" % kind, r["create"])
    pending = dict(doc["services"])
    made = set()
    while pending:  # a container after those whose namespaces or volumes it uses
        progress = False
        for name, s in sorted(pending.items()):
            hc = s["create"]["HostConfig"]
            refs = [m[len("container:"):] for m in (hc.get("NetworkMode"), hc.get("IpcMode"), hc.get("PidMode"))
                    if m and m.startswith("container:")]
            refs += [v.split(":")[0] for v in hc.get("VolumesFrom") or []]
            if any(r not in made for r in refs):
                continue
            cid = api(sock, "POST", "/containers/create?name=" + urllib.parse.quote(s["container_name"]),
                      s["create"])["Id"]
            for n in s["networks"][1:]:
                api(sock, "POST", "/networks/%s/connect" % n["name"], {"Container": cid, "EndpointConfig": n["endpoint"]})
            made.add(s["container_name"])
            del pending[name]
            progress = True
        if not progress:
            sys.exit("containers referring to ones not in the model: %s" % sorted(pending))


def names_by_id(sock, project):
    filters = urllib.parse.quote(json.dumps({"label": ["com.docker.compose.project=" + project]}))
    return {c["Id"]: c["Names"][0].lstrip("/") for c in api(sock, "GET", "/containers/json?all=1&filters=" + filters)}


def unid(v, ids):
    """IDs (full or short) in a string or a structure become container names."""
    if isinstance(v, str):
        for cid, name in ids.items():
            v = v.replace(cid, name).replace(cid[:12], name)
        return v
    if isinstance(v, list):
        return [unid(x, ids) for x in v]
    if isinstance(v, dict):
        return {k: unid(x, ids) for k, x in v.items()}
    return v


def container(sock, cid, ids):
    c = api(sock, "GET", "/containers/%s/json" % cid)
    cfg, hc = c["Config"], c["HostConfig"]
    labels = {k: v for k, v in (cfg.get("Labels") or {}).items()
              if k not in ("com.docker.compose.config-hash", "com.docker.compose.image")
              and not k.startswith("dev.ccbuild.")}
    keep = ("Hostname", "Domainname", "User", "ExposedPorts", "Tty", "OpenStdin", "Cmd", "Entrypoint", "Image",
            "WorkingDir", "StopSignal", "StopTimeout", "Healthcheck", "AttachStdout", "AttachStderr")
    out = {"Config": {k: cfg.get(k) for k in keep}, "HostConfig": dict(hc)}
    out["Config"]["Env"] = sorted(cfg.get("Env") or [])
    out["Config"]["Labels"] = labels
    for key, sort_key in (("Binds", None), ("ExtraHosts", None), ("Mounts", lambda m: m["Target"]),
                          ("Ulimits", lambda u: u["Name"])):
        if hc.get(key):
            out["HostConfig"][key] = sorted(hc[key], key=sort_key)
    nets = c["NetworkSettings"]["Networks"] or {}
    out["Networks"] = {n: {"Aliases": e.get("Aliases") or [], "IPAMConfig": e.get("IPAMConfig"),
                           "Links": e.get("Links"), "DriverOpts": e.get("DriverOpts")} for n, e in nets.items()}
    deps = labels.get("com.docker.compose.depends_on")
    if deps:
        labels["com.docker.compose.depends_on"] = ",".join(sorted(deps.split(",")))
    out = unid(out, ids)
    for e in out["Networks"].values():
        e["Aliases"] = sorted(e["Aliases"])  # after the short ID became a name
    return out


def snapshot(sock, project):
    ids = names_by_id(sock, project)
    label = urllib.parse.quote(json.dumps({"label": ["com.docker.compose.project=" + project]}))
    out = {"containers": {}, "networks": {}, "volumes": {}}
    for cid, name in ids.items():
        out["containers"][name] = container(sock, cid, ids)
    for n in api(sock, "GET", "/networks?filters=" + label):
        n = api(sock, "GET", "/networks/" + n["Id"])
        ipam = dict(n["IPAM"])
        ipam.pop("Config", None)  # subnets the engine picked
        out["networks"][n["Name"]] = {k: n.get(k) for k in ("Driver", "Labels", "Internal", "Attachable", "EnableIPv6",
                                                             "Options", "Scope")}
        out["networks"][n["Name"]]["IPAM"] = ipam
    for v in api(sock, "GET", "/volumes?filters=" + label)["Volumes"] or []:
        out["volumes"][v["Name"]] = {k: v.get(k) for k in ("Driver", "Labels", "Options", "Scope")}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("create", "snapshot"):
        sys.exit(__doc__)
    (create if sys.argv[1] == "create" else snapshot)(sys.argv[2], sys.argv[3])
