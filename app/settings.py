"""Settings: the only module that reads the environment.

``load_settings`` merges, in order of precedence: explicit arguments (the CLI), the
environment (``DATABASE_URL``, ``REDIS_URL``, ``DELTALLM_*``), ``config.yaml``, defaults.
Every ``os.environ/NAME`` value in the file is resolved here and nowhere else.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr, ValidationError

from app.config import GatewayConfig
from app.errors import ConfigError
from app.gateway_settings.guardrail_policy import GuardrailPolicy
from app.gateway_settings.sections import CacheSettings
from app.observability.tracing_settings import TracingConfig, callback_warnings, tracing_config
from app.providers.catalog import apply_env_defaults

__all__ = [
    "DEFAULT_CONFIG",
    "Settings",
    "get_settings",
    "load_config",
    "load_settings",
    "offline_presidio",
]

DEFAULT_CONFIG: dict[str, Any] = {
    "model_list": [
        {
            "model_name": "demo",
            "deltallm_params": {"model": "demo/echo"},
            "model_info": {"mode": "chat"},
        },
        {
            "model_name": "demo-embedding",
            "deltallm_params": {"model": "demo/embedding"},
            "model_info": {"mode": "embedding"},
        },
    ]
}

INSTANCE_CONNECTIONS = 10
"""PostgreSQL connections one instance holds at most by default, shared by its workers: ten
instances then fit a default PostgreSQL (``max_connections`` 100) with headroom."""
MIN_WORKER_CONNECTIONS = 2
"""A worker's floor: one for the spend writer, one for key lookups and the admin API."""
WRITER_CONNECTIONS = 2
"""Connections of an instance's spend writer process, taken from the instance's share."""
_SPEND_WRITER = "DELTALLM_SPEND_WRITER"

_ENV_PREFIX = "os.environ/"
_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"
_ALIAS_PAIRS = (("litellm_params", "deltallm_params"), ("litellm_settings", "deltallm_settings"))


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the process needs to know, resolved once."""

    config: GatewayConfig
    config_path: Path | None
    data_dir: Path
    database_url: SecretStr
    redis_url: SecretStr | None
    master_key: SecretStr
    salt_key: SecretStr
    host: str = "127.0.0.1"
    port: int = 4000
    workers: int = 1
    log_level: str = "info"
    run_migrations_on_start: bool = True
    json_logs: bool = False
    tracing: TracingConfig | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)
    metrics_dir: Path | None = None
    """``PROMETHEUS_MULTIPROC_DIR``: where workers share their metrics (None: one process)."""
    spend_writer_process: bool = False
    """Whether the instance's spend writer runs in a process of its own (``serve`` with
    Redis): this process then only appends spend records to the stream."""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.get_secret_value().startswith("sqlite")

    @property
    def has_redis(self) -> bool:
        return self.redis_url is not None

    @property
    def pool_limit(self) -> int:
        """PostgreSQL connections this worker may hold: the configured
        ``database_connection_pool_limit``, else the instance's share split across workers."""
        configured = self.config.general_settings.database_connection_pool_limit
        if configured is not None:
            return configured
        share = INSTANCE_CONNECTIONS - (WRITER_CONNECTIONS if self.spend_writer_process else 0)
        return max(MIN_WORKER_CONNECTIONS, share // max(1, self.workers))


def _resolve_env_refs(value: Any, env: Mapping[str, str], path: str, problems: list[str]) -> Any:
    if isinstance(value, str) and value.startswith(_ENV_PREFIX):
        name = value[len(_ENV_PREFIX) :]
        if name not in env:
            problems.append(f"{path}: environment variable {name} is not set")
            return None
        return env[name]
    if isinstance(value, dict):
        return {
            k: _resolve_env_refs(v, env, f"{path}.{k}" if path else str(k), problems)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_resolve_env_refs(v, env, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    return value


def _format_loc(loc: tuple[int | str, ...], raw: Any) -> str:
    """Pydantic's location as the user wrote it: ``model_list[3].deltallm_params.model``."""
    out = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        key = str(part)
        if isinstance(node, dict):
            for pair in _ALIAS_PAIRS:
                if key in pair:
                    key = next((a for a in pair if a in node), key)
            node = node.get(key)
        else:
            node = None
        out += f".{key}" if out else key
    return out


def _validation_problems(error: ValidationError, raw: Any) -> list[str]:
    problems = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        problems.append(f"{_format_loc(tuple(item['loc']), raw)}: {message}")
    return problems


def load_config(
    path: Path | None, env: Mapping[str, str] | None = None
) -> tuple[GatewayConfig, list[str]]:
    """Read and validate a config file (or the built-in default). Returns config + warnings.

    Raises :class:`ConfigError` listing every problem with its exact path.
    """
    env = dict(os.environ if env is None else env)
    if path is None:
        raw: Any = DEFAULT_CONFIG
    else:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
        except yaml.YAMLError as exc:
            raise ConfigError([f"{path}: not valid YAML: {exc}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"{path}: the top level must be a mapping"])
    problems: list[str] = []
    exported = raw.get("environment_variables") or {}
    if isinstance(exported, dict):
        env.update({str(k): str(v) for k, v in exported.items()})
    resolved = _resolve_env_refs(raw, env, "", problems)
    apply_env_defaults(resolved, env, problems)
    try:
        config = GatewayConfig.model_validate(resolved)
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, raw))
        raise ConfigError(problems) from None
    if problems:
        raise ConfigError(problems)
    warnings = callback_warnings(config.deltallm_settings.callbacks)
    unknown = config.unknown_keys()
    if unknown:
        warnings.append("unknown config keys ignored: " + ", ".join(unknown))
    for index, entry in enumerate(config.guardrails):
        try:
            GuardrailPolicy.from_entry(entry)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            problems.append(f"guardrails.{index}.{where}: {error['msg']}")
    if problems:
        raise ConfigError(problems)
    defined = {entry.get("guardrail_name") for entry in config.guardrails}
    for model in config.model_list:
        for name in model.deltallm_params.guardrails:
            if name not in defined:
                warnings.append(
                    f"model {model.model_name} names guardrail {name}, which config.yaml does "
                    "not define: its calls are refused until a policy of that name exists"
                )
    try:
        CacheSettings.from_config(config)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(
                f"litellm_settings.cache_params{'.' + where if where else ''}: {message}"
            )
        raise ConfigError(problems) from None
    return config, warnings


def _persisted_secret(data_dir: Path, name: str) -> SecretStr:
    """A secret kept in the data dir (0600), created on first use."""
    path = data_dir / name
    if path.exists():
        return SecretStr(path.read_text(encoding="utf-8").strip())
    data_dir.mkdir(parents=True, exist_ok=True)
    value = "sk-" + secrets.token_urlsafe(32) if name == "master_key" else secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return SecretStr(value)


def _secret(*values: SecretStr | str | None) -> SecretStr | None:
    for value in values:
        if isinstance(value, SecretStr) and value.get_secret_value():
            return value
        if isinstance(value, str) and value:
            return SecretStr(value)
    return None


def load_settings(
    config_path: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build :class:`Settings` from arguments, the environment and the config file."""
    env = os.environ if env is None else env
    path_value = config_path or env.get("DELTALLM_CONFIG_PATH")
    path = Path(path_value) if path_value else None
    config, warnings = load_config(path, env)
    general = config.general_settings
    data_dir = Path(env.get("DELTALLM_DATA_DIR", ".deltallm")).resolve()

    database_url = _secret(env.get("DATABASE_URL"), general.database_url)
    if database_url is None:
        data_dir.mkdir(parents=True, exist_ok=True)
        database_url = SecretStr(f"sqlite+aiosqlite:///{data_dir / 'deltallm.db'}")
    redis_url = _secret(env.get("REDIS_URL"), general.redis_url)
    router = config.router_settings
    if redis_url is None and router.redis_host:
        password = router.redis_password.get_secret_value() if router.redis_password else ""
        auth = f":{password}@" if password else ""
        redis_url = SecretStr(f"redis://{auth}{router.redis_host}:{router.redis_port or 6379}/0")

    master_key = _secret(env.get("DELTALLM_MASTER_KEY"), general.master_key)
    salt_key = _secret(env.get("DELTALLM_SALT_KEY"), general.salt_key)
    if salt_key is None:
        salt_key = _persisted_secret(data_dir, "salt_key")
    if master_key is None:
        # Zero setup: a master key is created once and kept (0600) in the data dir.
        master_key = _persisted_secret(data_dir, "master_key")

    run_migrations = env.get("DELTALLM_RUN_MIGRATIONS")
    json_logs = env.get("DELTALLM_JSON_LOGS") or env.get("JSON_LOGS")
    otel_env = {k: v for k, v in env.items() if k.startswith("OTEL_")}
    values: dict[str, Any] = {
        "config": config,
        "config_path": path,
        "data_dir": data_dir,
        "database_url": database_url,
        "redis_url": redis_url,
        "master_key": master_key,
        "salt_key": salt_key,
        "log_level": env.get("DELTALLM_LOG_LEVEL", "info").lower(),
        "run_migrations_on_start": (
            general.run_migrations_on_start
            if run_migrations is None
            else run_migrations.lower() in {"1", "true", "yes"}
        ),
        "json_logs": (
            config.deltallm_settings.json_logs
            if json_logs is None
            else json_logs.lower() in {"1", "true", "yes"}
        ),
        "tracing": tracing_config(config, otel_env),
        "warnings": tuple(warnings),
        "metrics_dir": Path(env[_METRICS_DIR]) if env.get(_METRICS_DIR) else None,
        "spend_writer_process": env.get(_SPEND_WRITER) == "process",
    }
    if env.get("DELTALLM_HOST"):
        values["host"] = env["DELTALLM_HOST"]
    if env.get("DELTALLM_PORT"):
        values["port"] = int(env["DELTALLM_PORT"])
    if env.get("DELTALLM_WORKERS", "").isdigit():
        values["workers"] = max(1, int(env["DELTALLM_WORKERS"]))
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


_AWS_NAMES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
)


def aws_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The standard AWS credential and region variables that are set (Bedrock's fallback)."""
    env = os.environ if env is None else env
    return {name: env[name] for name in _AWS_NAMES if env.get(name)}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (from the environment), read once."""
    return load_settings()


def export_for_workers(settings: Settings, metrics_dir: Path | None = None) -> None:
    """Put resolved CLI choices into the environment that uvicorn's workers (and the spend
    writer process) inherit; ``metrics_dir`` is where they share their metrics
    (prometheus-client reads it there)."""
    if metrics_dir is not None:
        os.environ[_METRICS_DIR] = str(metrics_dir)
    if settings.spend_writer_process:
        os.environ[_SPEND_WRITER] = "process"
    if settings.config_path is not None:
        os.environ["DELTALLM_CONFIG_PATH"] = str(settings.config_path)
    os.environ["DELTALLM_DATA_DIR"] = str(settings.data_dir)
    os.environ["DELTALLM_RUN_MIGRATIONS"] = "0"
    os.environ["DELTALLM_WORKERS"] = str(settings.workers)
    os.environ["DELTALLM_LOG_LEVEL"] = settings.log_level


def offline_presidio() -> None:
    """Keep Presidio offline: its e-mail recognizer's tldextract would fetch the public
    suffix list when imported (read from the environment at import time)."""
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
