"""Locked and packaged: the locks satisfy pyproject.toml, and the built wheel, installed into a fresh
virtualenv outside the source tree, runs a town in production (PostgreSQL + Redis + gunicorn)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from sqlalchemy import create_engine, text

from tests.conftest import IS_POSTGRES
from tests.support.smtp import free_port
from tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", re.M)


def _pins(lock: str) -> dict[str, str]:
    return {canonicalize_name(name): version for name, version in PIN.findall((ROOT / lock).read_text())}


def _requirements(*, dev: bool) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    listed = project["dependencies"] + (project["optional-dependencies"]["dev"] if dev else [])
    return [Requirement(line) for line in listed]


@pytest.mark.parametrize(("lock", "dev"), [("requirements.lock", False), ("requirements-dev.lock", True)])
def test_each_lock_satisfies_pyproject_with_a_hash_for_every_pin(lock, dev):
    pins = _pins(lock)
    text_of_lock = (ROOT / lock).read_text()

    unsatisfied = [str(r) for r in _requirements(dev=dev)
                   if not r.specifier.contains(pins.get(canonicalize_name(r.name), "0.dev0"))]
    blocks = re.split(r"\n(?=[A-Za-z0-9_.\-]+==)", text_of_lock)[1:]
    without_hash = [block.split()[0] for block in blocks if "--hash=sha256:" not in block]

    assert unsatisfied == [], f"{lock} no longer satisfies pyproject.toml: run `make lock`"
    assert without_hash == []


def test_production_and_dev_locks_pin_the_same_versions():
    production, dev = _pins("requirements.lock"), _pins("requirements-dev.lock")

    assert {name: (version, dev.get(name)) for name, version in production.items() if dev.get(name) != version} == {}


# -- the production smoke test ------------------------------------------------------------------------


def _run(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    """The wheel built from this tree, installed with the production lock into a fresh virtualenv."""
    if not IS_POSTGRES:
        pytest.skip("production runs on PostgreSQL + Redis: the smoke test runs on the services backend")
    root = tmp_path_factory.mktemp("production")
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                 "-w", root / "wheel", ROOT, cwd=root)
    assert built.returncode == 0, built.stderr
    venv = root / "venv"
    assert _run(sys.executable, "-m", "venv", venv).returncode == 0
    # As `make install` and the image do: pip 23 (bundled with Python 3.11) refuses the hashed lock once a
    # newer fonttools is published (it takes WeasyPrint's `fonttools[woff]` as an unpinned requirement).
    upgraded = _run(venv / "bin" / "python", "-m", "pip", "install", "-q", "--upgrade", "pip")
    assert upgraded.returncode == 0, upgraded.stderr
    dependencies = _run(venv / "bin" / "pip", "install", "-q", "--require-hashes", "-r", ROOT / "requirements.lock")
    assert dependencies.returncode == 0, dependencies.stderr
    (wheel,) = (root / "wheel").glob("adopte_mon_commercant-*.whl")
    app = _run(venv / "bin" / "pip", "install", "-q", "--no-deps", wheel)
    assert app.returncode == 0, app.stderr
    return venv


@pytest.fixture(scope="module")
def town(installed, tmp_path_factory) -> Iterator[dict[str, object]]:  # type: ignore[no-untyped-def]
    """An empty PostgreSQL database migrated and set up by the installed commands, and gunicorn serving it,
    all run from a folder outside the source tree."""
    base = os.environ["TEST_DATABASE_URL"].rsplit("/", 1)[0]
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://") + "/postgres",
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('DROP DATABASE IF EXISTS "shopapp_production_smoke" WITH (FORCE)'))
        conn.execute(text('CREATE DATABASE "shopapp_production_smoke"'))
    folder = tmp_path_factory.mktemp("server")
    port = free_port()
    redis = os.environ["TEST_REDIS_URL"].rsplit("/", 1)[0] + "/9"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SHOPAPP", "FLASK", "PYTHON", "MAIL", "DATABASE", "REDIS", "CELERY", "TEST_"))}
    env.update({
        "SHOPAPP_ENV": "production", "SECRET_KEY": "p" * 48, "DATABASE_URL": f"{base}/shopapp_production_smoke",
        "REDIS_URL": redis, "PUBLIC_URL": f"http://127.0.0.1:{port}", "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(free_port()), "TRUSTED_PROXIES": "1", "LOGIN_RATE_LIMIT": "3 per minute",
        "FLASK_APP": "shopapp.app:create_app", "PATH": f"{installed / 'bin'}:{env.get('PATH', '')}",
    })
    bin_ = installed / "bin"
    upgrade = _run(bin_ / "flask", "db", "upgrade", cwd=folder, env=env)
    assert upgrade.returncode == 0, upgrade.stderr
    setup = _run(bin_ / "flask", "setup", "--town", "Montargis", "--venue-name", "Le Grenier", "--venue-address",
                 "2 rue de la Poterie", "--admin-email", "presidence@example.fr", cwd=folder, env=env)
    assert setup.returncode == 0, setup.stderr
    seed = _run(bin_ / "flask", "dev", "seed", cwd=folder, env=env)
    refused = _run(bin_ / "flask", "routes", cwd=folder, env={k: v for k, v in env.items() if k != "PUBLIC_URL"})
    server = subprocess.Popen(
        # As production runs it (Dockerfile): the app loaded once, then two workers forked from it, each with
        # its own connections (a connection opened before the fork and shared would mix their answers).
        [str(bin_ / "gunicorn"), "--preload", "-w", "2", "-b", f"127.0.0.1:{port}", "shopapp.app:create_app()"],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return requests.get(f"{url}/readyz", timeout=2).status_code == 200
        except requests.RequestException:  # not listening yet, or still loading the app (a busy machine)
            return False

    try:
        wait_for(ready, timeout=60)
        yield {"url": url, "setup": setup.stdout, "seed": seed, "refused": refused}
    finally:
        server.terminate()
        server.wait(timeout=30)
        admin.dispose()


class Visitor:
    """A browser behind the TLS proxy: it sends the proxy's headers and keeps the (Secure) session cookie
    by hand, since the test talks plain HTTP to gunicorn."""

    def __init__(self, url: str, address: str) -> None:
        self.url, self.address, self.cookie = url, address, ""

    def _send(self, method: str, path: str, **kwargs: object) -> requests.Response:
        # As a browser does over HTTPS (Flask-WTF checks the referrer of secure form posts).
        secure_url = self.url.replace("http://", "https://")
        headers = {"X-Forwarded-For": self.address, "X-Forwarded-Proto": "https", "Referer": secure_url + path}
        if self.cookie:
            headers["Cookie"] = f"session={self.cookie}"
        response = requests.request(method, self.url + path, headers=headers, allow_redirects=False, timeout=10,
                                    **kwargs)  # type: ignore[arg-type]
        if "session" in response.cookies:
            self.cookie = response.cookies["session"]
        return response

    def get(self, path: str) -> requests.Response:
        return self._send("GET", path)

    def post_form(self, path: str, data: dict[str, str]) -> requests.Response:
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', self.get(path).text).group(1)
        return self._send("POST", path, data={**data, "csrf_token": token})


def test_the_wheel_runs_a_town_in_production(town):
    url = str(town["url"])
    link = re.search(r"^http://127\.0\.0\.1:\d+(/mot-de-passe/reinitialiser/\S+)$", str(town["setup"]), re.M).group(1)
    admin = Visitor(url, "203.0.113.10")

    chosen = admin.post_form(link, {"password": "Lavande-et-miel-45", "confirm": "Lavande-et-miel-45"})
    logged_in = admin.post_form("/connexion", {"email": "presidence@example.fr", "password": "Lavande-et-miel-45"})
    settings = admin.get("/association/reglages")
    mail_folder = admin.get("/equipe/courriels")
    demo = Visitor(url, "203.0.113.11").post_form("/connexion", {"email": "admin@example.org", "password": "demo1234"})

    assert requests.get(f"{url}/readyz", timeout=5).status_code == 200
    assert chosen.status_code == 302
    assert logged_in.status_code == 302 and settings.status_code == 200 and "Le Grenier" in settings.text
    assert mail_folder.status_code == 404
    assert demo.status_code == 422
    seed = town["seed"]
    assert seed.returncode != 0 and "never seeded in production" in seed.stderr  # type: ignore[attr-defined]
    refused = town["refused"]  # one clear line, no traceback
    assert refused.returncode == 1  # type: ignore[attr-defined]
    assert refused.stderr.strip() == "Production start refused, missing settings: PUBLIC_URL"  # type: ignore[attr-defined]


def test_behind_the_proxy_the_log_in_limit_counts_each_visitor(town):
    url = str(town["url"])
    first, second = Visitor(url, "198.51.100.7"), Visitor(url, "198.51.100.8")

    tries = [first.post_form("/connexion", {"email": f"n{n}@example.org", "password": "x"}).status_code
             for n in range(4)]
    other = second.post_form("/connexion", {"email": "m@example.org", "password": "x"}).status_code

    assert tries == [422, 422, 422, 429]
    assert other == 422
