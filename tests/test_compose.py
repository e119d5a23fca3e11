"""docker-compose.yml cannot run here, so this keeps it honest: every command it runs exists."""

import importlib
import importlib.util
import shlex
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, spec in SERVICES.items() if "build" in spec]


def _argv(command):
    return command if isinstance(command, list) else shlex.split(command)


def test_the_stack_has_every_part():
    assert {"postgres", "redis", "web", "worker", "beat", "migrate"} <= set(SERVICES)
    assert set(APP_SERVICES) == {"web", "worker", "beat", "migrate"}


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_service_has_a_healthcheck(name):
    assert SERVICES[name]["healthcheck"]["test"]


def _check_command(argv):
    program, *rest = argv
    if program == "python" and rest[0] == "manage.py":
        assert rest[1] in get_commands(), f"no management command {rest[1]}"
    elif program == "python" and rest[0] == "-c":
        compile(rest[1], "<healthcheck>", "exec")
    elif program == "gunicorn":
        module, _, attribute = rest[0].partition(":")
        assert hasattr(importlib.import_module(module), attribute)
    elif program == "celery":
        assert rest[0] == "-A"
        app = importlib.import_module(rest[1]).celery_app
        assert rest[2] in {"worker", "beat", "inspect"}
        assert app.main == "ascend"
    else:
        raise AssertionError(f"unknown program in docker-compose.yml: {program}")


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_commands_exist_in_the_project(name):
    spec = SERVICES[name]
    _check_command(_argv(spec["command"]))
    test = spec["healthcheck"]["test"]
    argv = shlex.split(test[1]) if test[0] == "CMD-SHELL" else test[1:]
    _check_command(argv)


def test_app_services_share_one_image_and_the_settings_read_their_environment():
    images = {SERVICES[name]["image"] for name in APP_SERVICES}
    assert images == {"ascend:latest"}
    settings_source = (ROOT / "config" / "settings" / "base.py").read_text()
    for variable in SERVICES["web"]["environment"]:
        if variable != "DJANGO_SETTINGS_MODULE":
            assert (
                f'"{variable}"'
                in settings_source + (ROOT / "config/settings/production.py").read_text()
            )
    assert importlib.util.find_spec(SERVICES["web"]["environment"]["DJANGO_SETTINGS_MODULE"])


def test_mounted_files_and_the_build_exist():
    assert (ROOT / "Dockerfile").is_file()
    for spec in SERVICES.values():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), source
