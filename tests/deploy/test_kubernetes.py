"""deploy/kubernetes: rendered by a real kustomize (`kubectl kustomize`, Debian's kubectl),
validated against the Kubernetes OpenAPI schemas (kubernetes-validate, strict: unknown fields
are errors), and checked against the tools themselves: every ConfigMap'd config loads with the
tool's own loader, every container's arguments parse with the tool's own CLI, and the ports,
probes, Lease name and Secret keys agree with those configs."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate  # a test dependency: missing is an error, never a skip
import pytest
import yaml

from tests.deploy.conftest import DEPLOY, parse_cli

# Versions the manifests must be valid for: an older supported cluster and the newest schema.
K8S_VERSIONS = ["1.29.0", "1.33.0"]


def render(kubectl: str, where: Path = DEPLOY / "kubernetes") -> list[dict[str, Any]]:
    proc = subprocess.run(
        [kubectl, "kustomize", str(where)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def other_kubectl() -> str | None:
    """A kubectl on PATH (e.g. with kustomize 5), besides Debian's that deploy/tools.sh gets."""
    return shutil.which("kubectl")


# Every test runs on the output of Debian's kubectl (kustomize 2.0.3), and again on a newer
# kubectl's when one is on PATH: the two kustomizes differ (kustomize 5 rewrites a Role's
# resourceNames that match a generated ConfigMap's name, for one).
@pytest.fixture(scope="module", params=["debian", "path"] if other_kubectl() else ["debian"])
def docs(request: pytest.FixtureRequest, kubectl: str) -> list[dict[str, Any]]:
    return render(kubectl if request.param == "debian" else str(other_kubectl()))


def find(docs: list[dict[str, Any]], kind: str, prefix: str) -> dict[str, Any]:
    hits = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].startswith(prefix)]
    assert len(hits) == 1, f"{kind} {prefix}: {[d['metadata']['name'] for d in hits]}"
    return hits[0]


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return doc["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def config_of(docs: list[dict[str, Any]], doc: dict[str, Any], key: str) -> str:
    """The file `key` of the ConfigMap that `doc`'s pod mounts as volume `config`."""
    (volume,) = [v for v in pod_spec(doc)["volumes"] if v["name"] == "config"]
    cm = find(docs, "ConfigMap", volume["configMap"]["name"])
    assert cm["metadata"]["name"] == volume["configMap"]["name"]  # hashed name followed
    return cm["data"][key]  # type: ignore[no-any-return]


def mounts_of(container: dict[str, Any]) -> dict[str, str]:
    return {m["name"]: m["mountPath"] for m in container["volumeMounts"]}


def test_renders_every_tool_with_namespace_and_image(docs: list[dict[str, Any]]) -> None:
    kinds = {(d["kind"], d["metadata"]["name"].rsplit("-config", 1)[0]) for d in docs}
    assert {
        ("CronJob", "watcloud-outage"),
        ("PersistentVolumeClaim", "watcloud-outage-state"),
        ("Deployment", "watcloud-dnsfailover"),
        ("Service", "watcloud-dnsfailover"),
        ("ServiceAccount", "watcloud-dnsfailover"),
        ("Role", "watcloud-dnsfailover-lease"),
        ("RoleBinding", "watcloud-dnsfailover-lease"),
        ("CronJob", "watcloud-links"),
    } <= kinds
    for d in docs:
        if d["kind"] != "Namespace":
            assert d["metadata"]["namespace"] == "watcloud", d["metadata"]["name"]
        if d["kind"] in ("Deployment", "CronJob"):
            spec = pod_spec(d)
            for c in spec["containers"] + spec.get("initContainers", []):
                assert c["image"] == "ghcr.io/watonomous/watcloud:0.1.0"
                assert c["securityContext"]["readOnlyRootFilesystem"] is True
            assert spec["securityContext"]["runAsNonRoot"] is True


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_object_validates_against_the_openapi_schema(
    docs: list[dict[str, Any]], version: str
) -> None:
    for d in docs:
        kubernetes_validate.validate(d, version, strict=True)


def test_the_validator_rejects_a_misspelt_field(docs: list[dict[str, Any]]) -> None:
    """The check above can fail: a typo in a probe and a wrong type are both caught."""
    bad = copy.deepcopy(find(docs, "Deployment", "watcloud-dnsfailover"))
    bad["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["periodSecond"] = 10
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSIONS[-1], strict=True)
    bad = copy.deepcopy(find(docs, "CronJob", "watcloud-outage"))
    bad["spec"]["concurrencyPolicy"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSIONS[-1], strict=True)


def test_cli_parser_check_can_fail() -> None:
    parse_cli(["dns-failover", "run", "--config", "/x.yaml"])
    with pytest.raises(Exception, match="No such option: --conf"):
        parse_cli(["dns-failover", "run", "--conf", "/x.yaml"])
    with pytest.raises(Exception, match="'yaml' is not one of"):
        parse_cli(["links", "external", "/site", "--output", "yaml"])
    with pytest.raises(AssertionError):
        parse_cli(["outage", "poll", "--once"])


LOADERS = {
    "outage.yaml": "watcloud.outage.config",
    "dnsfailover.yaml": "watcloud.dnsfailover.config",
    "links.yaml": "watcloud.links.config",
}


def test_every_config_loads_and_every_command_parses(
    docs: list[dict[str, Any]], tmp_path: Path
) -> None:
    """Each CronJob/Deployment runs `watcloud ARGS --config /etc/watcloud/X.yaml`: ARGS parse
    with the tool's CLI and X.yaml, taken from the rendered ConfigMap, loads with the tool's
    own config loader (unknown keys are errors there)."""
    seen = set()
    for d in docs:
        if d["kind"] not in ("Deployment", "CronJob"):
            continue
        for c in pod_spec(d)["containers"]:
            args = c["args"]
            assert "command" not in c  # the image's entrypoint is `watcloud`
            parse_cli(args)
            path = Path(args[args.index("--config") + 1])
            text = config_of(docs, d, path.name)
            local = tmp_path / path.name
            local.write_text(text)
            loader = __import__(LOADERS[path.name], fromlist=["load"])
            loader.load(local)
            seen.add(path.name)
    assert seen == set(LOADERS)


def test_outage_state_is_on_the_volume_claim(docs: list[dict[str, Any]]) -> None:
    from watcloud.outage.config import OutageConfig

    cron = find(docs, "CronJob", "watcloud-outage")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"  # one pass at a time on one database
    cfg = OutageConfig.model_validate(yaml.safe_load(config_of(docs, cron, "outage.yaml")))
    spec = pod_spec(cron)
    (c,) = spec["containers"]
    assert "--once" in c["args"]
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    (state,) = [v for v in spec["volumes"] if v["name"] == "state"]
    find(docs, "PersistentVolumeClaim", state["persistentVolumeClaim"]["claimName"])
    assert cfg.state_db is not None
    assert cfg.state_db.parent == Path(mounts["state"])
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["XDG_STATE_HOME"] == mounts["state"]  # notify's outbox beside it


def test_dnsfailover_lease_probes_service_and_secret(docs: list[dict[str, Any]]) -> None:
    from watcloud.dnsfailover.config import Config

    dep = find(docs, "Deployment", "watcloud-dnsfailover")
    cfg = Config.model_validate(yaml.safe_load(config_of(docs, dep, "dnsfailover.yaml")))
    assert dep["spec"]["replicas"] == 2
    assert cfg.lock.kind == "kubernetes-lease"
    spec = pod_spec(dep)
    (c,) = spec["containers"]
    # /metrics and /healthz listen on all addresses, on the port the probes and Service use
    host, _, port = cfg.listen.rpartition(":")
    assert host == "0.0.0.0"
    (cport,) = c["ports"]
    assert cport["containerPort"] == int(port)
    for probe in ("livenessProbe", "readinessProbe"):
        assert c[probe]["httpGet"] == {"path": "/healthz", "port": cport["name"]}
    svc = find(docs, "Service", "watcloud-dnsfailover")
    assert svc["spec"]["selector"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()
    assert svc["spec"]["ports"][0]["targetPort"] == cport["name"]
    # the Role lets the pod's ServiceAccount create, read and renew exactly that Lease
    sa = spec["serviceAccountName"]
    binding = find(docs, "RoleBinding", "watcloud-dnsfailover")
    assert {"kind": "ServiceAccount", "name": sa, "namespace": "watcloud"} in binding["subjects"]
    role = find(docs, "Role", binding["roleRef"]["name"])
    verbs: dict[str, set[str]] = {}
    for rule in role["rules"]:
        assert rule["apiGroups"] == ["coordination.k8s.io"] and rule["resources"] == ["leases"]
        for name in rule.get("resourceNames", ["*"]):
            verbs.setdefault(name, set()).update(rule["verbs"])
    assert "create" in verbs["*"]
    assert {"get", "update"} <= verbs[cfg.lock.lease_name]
    # the provider's token comes from a Secret, under the variable the config names
    env = {e["name"]: e for e in c["env"]}
    assert cfg.provider.kind == "cloudflare"
    assert "secretKeyRef" in env[cfg.provider.token_env]["valueFrom"]
    assert "fieldRef" in env["POD_NAME"]["valueFrom"]  # the Lease holder's identity


def test_links_cronjob_checks_the_fetched_site(docs: list[dict[str, Any]]) -> None:
    cron = find(docs, "CronJob", "watcloud-links")
    spec = pod_spec(cron)
    (init,) = spec["initContainers"]
    (c,) = spec["containers"]
    assert c["args"][:2] == ["links", "external"]
    site = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}["site"]
    assert site in c["args"]
    assert init["args"][-1] == site
    script = Path(init["command"][-1])
    assert script.parent == Path(mounts_of(init)["config"])
    assert "def main" in config_of(docs, cron, script.name)
    from watcloud.links.config import LinksConfig

    cfg = LinksConfig.model_validate(yaml.safe_load(config_of(docs, cron, "links.yaml")))
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert cfg.external.state_path is not None
    assert str(cfg.external.state_path.parent) == mounts["state"]
