"""The deploy files work as shipped: what each PaaS reads agrees with the settings,
the Procfile and the bot's own commands; the container's command and health check
run (in a plain venv: no container engine runs on these machines)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

from bot.adapters.discord.settings import DiscordSettings
from bot.adapters.slack.settings import SlackSettings
from bot.cli import SUBCOMMANDS
from bot.config import Settings, variables_of
from bot.web import WebSettings
from tests.conftest import ROOT
from tests.helpers import free_port
from tests.yaml_lite import parse_yaml

KNOWN = {
    name for cls in (Settings, WebSettings, DiscordSettings, SlackSettings)
    for name, _ in variables_of(cls)
}  # fmt: skip
GRACE = Settings().shutdown_grace


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def runs_the_bot(command: str) -> bool:
    return command.split()[:3] == ["python", "-m", "bot"] and len(command.split()) == 3


def test_the_procfile_runs_the_bot_in_one_process_type_and_checks_on_release() -> None:
    types = procfile()
    assert [name for name, cmd in types.items() if runs_the_bot(cmd)] == ["web"]
    assert types["release"] == "python -m bot check"
    assert "check" in SUBCOMMANDS


def test_requirements_install_the_project_with_every_platform_pinned() -> None:
    lines = [
        line for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]  # fmt: skip
    assert lines[-1] == ".[all]"
    pins = dict(line.split("==") for line in lines[:-1])
    assert {"aiohttp", "discord.py", "slack_bolt", "slack_sdk", "aiosqlite", "redis"} <= set(pins)
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "freeze"], capture_output=True, text=True, check=True
    ).stdout.lower()
    for name in ("aiohttp", "discord.py", "slack_bolt"):
        assert f"{name}=={pins[name]}".lower() in installed  # the versions the tests ran on
    assert (ROOT / ".python-version").read_text().strip() == "3.11"


def test_fly_toml_stops_gracefully_keeps_data_and_checks_health() -> None:
    fly = tomllib.loads((ROOT / "fly.toml").read_text())
    assert fly["kill_signal"] == "SIGTERM"
    assert fly["kill_timeout"] > float(fly["env"]["BOT_SHUTDOWN_GRACE"]) >= GRACE
    assert fly["deploy"]["release_command"] == procfile()["release"]
    assert [m["destination"] for m in fly["mounts"]] == [fly["env"]["DATA_DIR"]]
    assert fly["http_service"]["internal_port"] == int(fly["env"]["PORT"])
    assert fly["http_service"]["auto_stop_machines"] == "off"  # a bot must not sleep
    assert [c["path"] for c in fly["http_service"]["checks"]] == ["/healthz"]
    assert set(fly["env"]) <= KNOWN


def test_render_yaml_agrees_with_the_procfile_and_keeps_data_on_its_disk() -> None:
    [service] = parse_yaml((ROOT / "render.yaml").read_text())["services"]
    assert service["type"] == "web" and service["numInstances"] == 1
    assert service["startCommand"] == procfile()["web"]
    assert service["preDeployCommand"] == procfile()["release"]
    assert service["healthCheckPath"] == "/healthz"
    env = {v["key"]: v.get("value") for v in service["envVars"]}
    assert env["DATA_DIR"] == service["disk"]["mountPath"]
    assert float(env["BOT_SHUTDOWN_GRACE"]) <= 30  # Render stops with SIGTERM, then 30 s
    assert set(env) <= KNOWN


def test_app_json_scales_only_the_procfiles_web_and_names_real_settings() -> None:
    app = json.loads((ROOT / "app.json").read_text())
    assert set(app["formation"]) == {"web"} <= set(procfile())
    assert app["formation"]["web"]["quantity"] == 1  # one process: each platform once
    assert set(app["env"]) <= KNOWN
    assert float(app["env"]["BOT_SHUTDOWN_GRACE"]["value"]) < 30  # Heroku kills at 30 s


def dockerfile() -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def instruction(name: str) -> list[str]:
    return [line[len(name) + 1 :] for line in dockerfile() if line.startswith(name + " ")]


def test_the_dockerfile_is_slim_non_root_and_layers_dependencies_first() -> None:
    lines = dockerfile()
    assert re.fullmatch(r"python:3\.11-slim", instruction("FROM")[0])
    assert instruction("USER") == ["bot"]
    assert instruction("STOPSIGNAL") == ["SIGTERM"]
    assert instruction("VOLUME") == ['["/data"]']
    assert "DATA_DIR=/data" in " ".join(instruction("ENV"))
    first_deps = next(i for i, line in enumerate(lines) if "pip install -r" in line)
    first_code = next(i for i, line in enumerate(lines) if line.startswith("COPY bot"))
    assert first_deps < first_code  # a code change keeps the dependency layer
    assert json.loads(instruction("CMD")[0]) == procfile()["web"].split()
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".env", ".git", ".venv", "data"} <= set(ignored)  # no secrets in the image


def test_the_images_command_serves_its_health_check(bot_env: dict[str, str]) -> None:
    """The CMD and the HEALTHCHECK as the image runs them, in this venv."""
    port = free_port()
    env = bot_env | {"PORT": str(port), "BOT_ADAPTERS": "console"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = json.loads(instruction("CMD")[0])
    health = instruction("HEALTHCHECK")[0].split(" CMD ", 1)[1]
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as proc:  # fmt: skip
        try:
            deadline = time.monotonic() + 20
            while True:
                checked = subprocess.run(
                    shlex.split(health), env=env, capture_output=True, check=False
                )
                if checked.returncode == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert checked.returncode == 0, checked.stderr
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as resp:
                assert resp.status == 200
            proc.terminate()  # what STOPSIGNAL sends; stdin stays open: no EOF to end on
            assert proc.wait(20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
