"""A static check of the compose files against the Dockerfile and nginx.conf, for a machine without a Docker engine:
what `docker compose up` would get wrong the first time, found by reading the files."""

from __future__ import annotations

import copy
import ipaddress
import re
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]
Compose = dict[str, Any]
OUR_IMAGE = "alpaca-dash:"
#: environment variables that hold a secret themselves (a *_FILE variable names a file instead)
_SECRET_VARIABLE = re.compile(r"(PASSWORD|SECRET|SECRET_KEY|ACCESS_KEY|TOKEN)$")
_VOLUME = re.compile(r"^(?P<source>\$\{[^}]*\}|[^:]+):(?P<target>[^:]+)(?::(?P<mode>\w+))?$")
_RUN_SECRET = re.compile(r"/run/secrets/([\w.-]+)")


def load(name: str) -> Compose:
    loaded: Compose = yaml.safe_load((ROOT / name).read_text())
    return loaded


def merge(base: Any, override: Any) -> Any:
    """Compose's merge of an override file, as far as these files need it: mappings key by key, lists joined."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if isinstance(base, list) and isinstance(override, list):
        return base + [item for item in override if item not in base]
    return copy.deepcopy(override)


def image_folders(dockerfile: str) -> dict[str, bool]:
    """The folders the final stage of the Dockerfile creates: path -> whether the app's user owns it."""
    final = dockerfile[dockerfile.rindex("\nFROM ") :]
    folders: dict[str, bool] = {}
    for command in re.findall(r"install -d ([^&\\\n]+)", final):
        words = command.split()
        owned = "-o" in words and words[words.index("-o") + 1] == "alpaca"
        for word in words:
            if word.startswith("/"):
                folders[word] = owned
    return folders


def _environment(service: Compose) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _secret_names(service: Compose) -> set[str]:
    return {item if isinstance(item, str) else item["source"] for item in service.get("secrets", [])}


def problems(compose: Compose, dockerfile: str, nginx: str) -> list[str]:
    """What is wrong with one layout (the base file merged with its overrides); empty when nothing is."""
    found: list[str] = []
    services: dict[str, Compose] = compose["services"]
    folders = image_folders(dockerfile)
    declared_secrets = set(compose.get("secrets", {}))
    for name, service in services.items():
        env = _environment(service)
        ours = str(service.get("image", "")).startswith(OUR_IMAGE)
        if ours and "build" not in service:
            found.append(f"{name}: runs the app's image but has no build:, so a fresh checkout cannot start it")
        if ours and env.get("ALPACA_DASH_PRODUCTION") != "true":
            found.append(f"{name}: ALPACA_DASH_PRODUCTION is not on (the session cookie would lack Secure)")
        found += [
            f"{name}: {variable} puts a secret in the environment; use a *_FILE and secrets:"
            for variable in env
            if _SECRET_VARIABLE.search(variable)
        ]
        if ours:
            for volume in service.get("volumes", []):
                mount = _VOLUME.match(volume)
                assert mount is not None, volume
                named = re.fullmatch(r"[\w.-]+", mount["source"]) is not None  # not a bind mount of a host folder
                if named and not folders.get(mount["target"]) and mount["mode"] != "ro":
                    where = f"{mount['source']} on {mount['target']}"
                    found.append(f"{name}: volume {where}, a folder the image does not give the app")
        text = yaml.safe_dump(service)
        for secret in sorted(set(_RUN_SECRET.findall(text))):
            if secret not in _secret_names(service):
                found.append(f"{name}: reads /run/secrets/{secret} without it in the service's secrets:")
            if secret not in declared_secrets:
                found.append(f"{name}: secret {secret} is not declared at the top level")
        if "REDIS_URL" in " ".join(env) and "ALPACA_DASH_REDIS_PASSWORD_FILE" not in env:
            found.append(f"{name}: talks to Redis without a password")
        if "s3://" in " ".join(env.values()):
            waits = service.get("depends_on", {})
            if not any(waits.get(other, {}).get("condition") == "service_completed_successfully" for other in waits):
                found.append(f"{name}: uses the S3 sidecar without waiting for the step that creates its bucket")
    for name, service in services.items():
        if str(service.get("image", "")).startswith("redis:") and "--requirepass" not in yaml.safe_dump(service):
            found.append(f"{name}: Redis without a password")
    s3_users = [n for n, s in services.items() if "s3://" in " ".join(_environment(s).values())]
    if s3_users and not any("mc mb" in yaml.safe_dump(s) for s in services.values()):
        found.append("nothing creates the S3 bucket of the sidecar")
    found += _trusted_proxy_problems(compose)
    if "resolver " not in nginx or not re.search(r"server app:8080 resolve\b", nginx):
        found.append("nginx.conf resolves app once at start: recreated replicas would keep stale addresses")
    healthcheck = dockerfile[dockerfile.index("HEALTHCHECK") :].split("\nENTRYPOINT")[0]
    if "alpaca_dash.healthcheck" not in healthcheck or re.search(r":\d{2,5}/", healthcheck):
        found.append("the image's healthcheck does not take the port from the app's settings")
    return found


def _trusted_proxy_problems(compose: Compose) -> list[str]:
    """Trusted proxy addresses must be fixed addresses of the proxy, on a network whose subnet the file fixes."""
    found = []
    services: dict[str, Compose] = compose["services"]
    fixed = {
        name: ipaddress.ip_address(settings["ipv4_address"])
        for name, service in services.items()
        for settings in (service.get("networks") or {}).values()
        if isinstance(settings, dict) and "ipv4_address" in settings
    }
    subnets = [
        ipaddress.ip_network(entry["subnet"])
        for network in (compose.get("networks") or {}).values()
        for entry in ((network or {}).get("ipam") or {}).get("config", [])
    ]
    for name, service in services.items():
        trusted = _environment(service).get("ALPACA_DASH_TRUSTED_PROXIES")
        if not trusted:
            continue
        for cidr in map(ipaddress.ip_network, yaml.safe_load(trusted)):
            members = [other for other, address in fixed.items() if address in cidr and other != name]
            if not any(cidr.subnet_of(subnet) for subnet in subnets):  # type: ignore[arg-type]
                found.append(f"{name}: trusts {cidr}, which no network of the file fixes")
            elif cidr.num_addresses != 1 or len(members) != 1:
                found.append(f"{name}: trusts {cidr}, which is not exactly the proxy's fixed address")
    return found
