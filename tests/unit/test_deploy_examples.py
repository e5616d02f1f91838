"""The production examples in ``app/deploy`` agree with the code they run: commands, routes,
environment variables, config, ports, labels and shutdown timing."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from app.cli.main import cli
from app.drain import HARD_STOP_GRACE
from app.main import create_app
from app.settings import load_config, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "app" / "deploy"
SETTINGS_SOURCE = (ROOT / "app" / "settings.py").read_text()
ENV_REFERENCE = re.compile(r"os\.environ/([A-Z0-9_]+)")
LOCAL_URL = re.compile(r"http://127\.0\.0\.1(?::(\d+))?(/[^'\" ]*)")


def env_names_read() -> set[str]:
    """Environment variables ``app/settings.py`` reads."""
    return set(re.findall(r"env(?:\.get\(|\[)\"([A-Z0-9_]+)\"", SETTINGS_SOURCE))


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    data = tmp_path_factory.mktemp("data")
    app = create_app(load_settings(None, env={"DELTALLM_DATA_DIR": str(data)}))
    return {route.path for route in app.routes}


@pytest.fixture(scope="module")
def kube() -> dict[str, dict[str, Any]]:
    docs = yaml.safe_load_all((DEPLOY / "kubernetes.yaml").read_text())
    return {doc["kind"]: doc for doc in docs}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    return loaded


def check_command(argv: list[str]) -> dict[str, str]:
    """``argv`` is a real ``deltallm`` command with real options; returns the options."""
    assert argv[0] == "deltallm"
    command = cli.commands.get(argv[1])
    assert isinstance(command, click.Command), f"no command deltallm {argv[1]}"
    known = {opt for param in command.params for opt in param.opts}
    given = dict(zip(argv[2::2], argv[3::2], strict=True))
    assert set(given) <= known, f"unknown options {set(given) - known}"
    return given


def check_config(text: str, tmp_path: Path, provided: set[str]) -> float:
    """The config passes the real loader; every ``os.environ/NAME`` in it is provided.
    Returns the longest a SIGTERM'd instance may take to stop under it."""
    referenced = set(ENV_REFERENCE.findall(text))
    assert referenced <= provided, f"not set for the gateway: {referenced - provided}"
    path = tmp_path / "config.yaml"
    path.write_text(text)
    config, warnings = load_config(path, env=dict.fromkeys(referenced, "set"))
    assert config.model_list and warnings == []
    return config.general_settings.graceful_shutdown_timeout + HARD_STOP_GRACE


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuations joined."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    pairs = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(p[0].upper(), p[1] if len(p) > 1 else "") for p in pairs]


def containers(kube: dict[str, dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for kind in ("Deployment", "Job"):
        yield from kube[kind]["spec"]["template"]["spec"]["containers"]


def test_dockerfile_runs_the_real_cli_on_the_exposed_port(routes: set[str]) -> None:
    steps = dockerfile()
    stages = [args for op, args in steps if op == "FROM"]
    assert stages[-1] == "python:3.12-slim"
    for op, args in steps:
        if op == "COPY" and not args.startswith("--from"):
            *sources, _ = args.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    cmd = json.loads(next(args for op, args in steps if op == "CMD"))
    options = check_command(cmd)
    assert options["--host"] == "0.0.0.0"
    exposed = next(args for op, args in steps if op == "EXPOSE")
    assert options["--port"] == exposed
    check = next(args for op, args in steps if op == "HEALTHCHECK")
    port, path = LOCAL_URL.findall(check)[0]
    assert (port, path in routes) == (exposed, True)
    assert "npm run build" in " ".join(args for op, args in steps if op == "RUN")


def test_compose_services_use_real_commands_routes_and_settings(
    compose: dict[str, Any], routes: set[str], tmp_path: Path
) -> None:
    services = compose["services"]
    assert {"postgres", "redis", "gateway", "lb", "migrate"} <= set(services)
    gateway = services["gateway"]
    assert gateway["deploy"]["replicas"] >= 2
    options = check_command(gateway["command"])
    check_command(services["migrate"]["command"])
    env = gateway["environment"]
    allowed = env_names_read()
    provided = set(env)
    config_text = (DEPLOY / "config.yaml").read_text()
    referenced = set(ENV_REFERENCE.findall(config_text))
    assert provided - referenced <= allowed, (
        f"not read by the gateway: {provided - referenced - allowed}"
    )
    assert {"DATABASE_URL", "REDIS_URL", "DELTALLM_MASTER_KEY", "DELTALLM_SALT_KEY"} <= provided
    assert env["DATABASE_URL"].startswith("postgresql://")
    assert env["DELTALLM_RUN_MIGRATIONS"] == "0"
    mounted = {v.split(":")[1]: v.split(":")[0] for v in gateway["volumes"]}
    assert mounted[env["DELTALLM_CONFIG_PATH"]] == "./config.yaml"
    shutdown = check_config(config_text, tmp_path, provided)
    for name in ("gateway", "lb"):
        test = " ".join(services[name]["healthcheck"]["test"])
        assert any(path in routes for _, path in LOCAL_URL.findall(test)), test
    port, path = LOCAL_URL.findall(" ".join(gateway["healthcheck"]["test"]))[0]
    assert (port, path) == (options["--port"], "/health/readiness")
    upstream = re.search(r"server (\w+):(\d+)", (DEPLOY / "nginx.conf").read_text())
    assert upstream is not None and upstream.groups() == ("gateway", options["--port"])
    grace = int(gateway["stop_grace_period"].removesuffix("s"))
    assert grace > shutdown


def test_kubernetes_probes_env_and_config_match_the_code(
    kube: dict[str, dict[str, Any]], routes: set[str], tmp_path: Path
) -> None:
    assert {"ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget", "Job"} <= set(
        kube
    )
    config_text = kube["ConfigMap"]["data"]["config.yaml"]
    secret_names = set(kube["Secret"]["stringData"])
    referenced = set(ENV_REFERENCE.findall(config_text))
    allowed = env_names_read()
    for container in containers(kube):
        check_command(container["command"])
        refs = [source["secretRef"]["name"] for source in container["envFrom"]]
        assert refs == [kube["Secret"]["metadata"]["name"]]
        names = secret_names | {e["name"] for e in container["env"]}
        assert names - referenced <= allowed, (
            f"not read by the gateway: {names - referenced - allowed}"
        )
        mount = next(m for m in container["volumeMounts"] if m["name"] == "config")
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["DELTALLM_CONFIG_PATH"] == f"{mount['mountPath']}/config.yaml"
    shutdown = check_config(config_text, tmp_path, secret_names)
    assert {"DATABASE_URL", "REDIS_URL", "DELTALLM_MASTER_KEY", "DELTALLM_SALT_KEY"} <= secret_names

    pod = kube["Deployment"]["spec"]["template"]["spec"]
    gateway = pod["containers"][0]
    options = check_command(gateway["command"])
    port = gateway["ports"][0]
    assert str(port["containerPort"]) == options["--port"]
    assert options["--host"] == "0.0.0.0"
    probes = {k: gateway[k]["httpGet"] for k in ("livenessProbe", "readinessProbe", "startupProbe")}
    for probe in probes.values():
        assert probe["path"] in routes
        assert probe["port"] == port["name"]
    assert probes["readinessProbe"]["path"] == "/health/readiness"
    assert gateway["resources"]["requests"]
    pre_stop = int(gateway["lifecycle"]["preStop"]["exec"]["command"][-1])
    assert pod["terminationGracePeriodSeconds"] > pre_stop + shutdown


def test_kubernetes_selectors_pick_the_deployments_pods(kube: dict[str, dict[str, Any]]) -> None:
    deployment = kube["Deployment"]["spec"]
    labels = deployment["template"]["metadata"]["labels"]
    assert deployment["replicas"] >= 2
    selectors = [
        deployment["selector"]["matchLabels"],
        kube["Service"]["spec"]["selector"],
        kube["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
    ]
    for selector in selectors:
        assert selector.items() <= labels.items()
    job_labels = kube["Job"]["spec"]["template"]["metadata"]["labels"]
    assert not kube["Service"]["spec"]["selector"].items() <= job_labels.items()
    pdb = kube["PodDisruptionBudget"]["spec"]
    assert pdb.get("maxUnavailable", 0) < deployment["replicas"]
    gateway = deployment["template"]["spec"]["containers"][0]
    assert kube["Service"]["spec"]["ports"][0]["targetPort"] == gateway["ports"][0]["name"]


def test_the_usage_lines_name_files_that_exist() -> None:
    for name in ("Dockerfile", "docker-compose.yml"):
        usage = [line for line in (DEPLOY / name).read_text().splitlines() if " -f " in line]
        assert usage
        for line in usage:
            words = shlex.split(line.lstrip("# "))
            assert (ROOT / words[words.index("-f") + 1]).is_file()
