"""The production stack description is valid and complete."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from worker import POOL_OPTIONS

ROOT = Path(__file__).resolve().parents[2]


def _compose_command() -> list[str]:
    """docker-compose (or `docker compose`): no engine is needed to validate the file. Skips without it,
    except under REQUIRE_SERVICES=1 (CI), where it fails."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail("docker compose is required to validate docker-compose.yml in CI")
    pytest.skip("docker compose not installed")


def test_docker_compose_config_validates():
    command = _compose_command()
    env = {**os.environ, "SECRET_KEY": "x" * 40, "POSTGRES_PASSWORD": "secret", "SITE_DOMAIN": "commerces.example.fr",
           "PUBLIC_URL": "https://commerces.example.fr", "MAIL_SERVER": "smtp.example.fr"}

    result = subprocess.run([*command, "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode == 0, result.stderr


def test_docker_compose_refuses_to_start_without_the_production_settings():
    command = _compose_command()
    env = {key: value for key, value in os.environ.items() if key not in ("MAIL_SERVER", "PUBLIC_URL", "SITE_DOMAIN")}
    env.update({"SECRET_KEY": "x" * 40, "POSTGRES_PASSWORD": "secret"})

    result = subprocess.run([*command, "config", "-q"], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.returncode != 0
    assert "MAIL_SERVER" in result.stderr or "PUBLIC_URL" in result.stderr or "SITE_DOMAIN" in result.stderr


def test_compose_runs_the_production_stack():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]

    assert {"postgres", "redis", "web", "worker", "beat", "migrate", "proxy"} <= set(services)
    # The mail catcher (its page shows every e-mail sent) only exists for trying the stack out.
    assert services["mailcatcher"]["profiles"] == ["dev"]
    assert "ports" not in services["web"] and services["proxy"]["ports"][:2] == ["80:80", "443:443"]
    assert services["web"]["environment"]["TRUSTED_PROXIES"] == "1"
    assert services["web"]["command"][0] == "gunicorn"
    # The workers README's "Web workers" measured: WEB_CONCURRENCY of them, forked from the loaded app.
    assert "--preload" in services["web"]["command"] and "--workers" not in services["web"]["command"]
    assert services["web"]["environment"]["WEB_CONCURRENCY"] == "${WEB_CONCURRENCY:-4}"
    # The worker at a lower CPU priority: residents' requests first when the CPU is short.
    assert services["worker"]["command"][:7] == ["nice", "-n", "10", "celery", "-A", "worker.celery_app", "worker"]
    # With the pool the bench measures and tests/worker checks (one process, several threads).
    assert services["worker"]["command"][-len(POOL_OPTIONS):] == list(POOL_OPTIONS)
    assert services["migrate"]["command"][2].startswith("flask db upgrade && ")


def test_the_image_serves_the_web_as_compose_does():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    command = json.loads(next(line for line in lines if line.startswith("CMD ")).removeprefix("CMD "))
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]

    assert command == web
    assert "ENV WEB_CONCURRENCY=4" in lines
