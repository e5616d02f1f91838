"""Tracing and log settings: where they come from, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import ConfigError
from app.settings import Settings, load_config, load_settings


def _settings(tmp_path: Path, text: str, **env: str) -> Settings:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return load_settings(path, env={"DELTALLM_DATA_DIR": str(tmp_path / "data"), **env})


def test_no_tracing_unless_configured(tmp_path: Path) -> None:
    settings = load_settings(None, env={"DELTALLM_DATA_DIR": str(tmp_path)})
    assert settings.tracing is None
    assert settings.json_logs is False


def test_general_settings_otel(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        "general_settings:\n  otel:\n    endpoint: https://otel.example.com:4318/\n"
        "    headers: {x-api-key: s3cret}\n    capture_content: true\n    sample_ratio: 0.25\n",
        OTEL_SERVICE_NAME="from-env",
    )
    tracing = settings.tracing
    assert tracing is not None
    assert tracing.endpoint == "https://otel.example.com:4318/v1/traces"
    assert tracing.headers["x-api-key"].get_secret_value() == "s3cret"
    assert "s3cret" not in repr(tracing)
    assert tracing.service_name == "from-env"
    assert tracing.capture_content is True
    assert tracing.sample_ratio == 0.25


def test_litellm_callbacks_with_otel_environment(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        "litellm_settings:\n  callbacks: [otel]\n",
        OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318",
        OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer%20abc,x-team=gw",
        OTEL_EXPORTER_OTLP_PROTOCOL="http/protobuf",
    )
    tracing = settings.tracing
    assert tracing is not None
    assert tracing.endpoint == "http://collector:4318/v1/traces"
    assert {k: v.get_secret_value() for k, v in tracing.headers.items()} == {
        "authorization": "Bearer abc",
        "x-team": "gw",
    }
    assert tracing.service_name == "deltallm"
    assert tracing.capture_content is False


def test_callbacks_default_to_the_local_collector(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "litellm_settings:\n  callbacks: [otel]\n")
    assert settings.tracing is not None
    assert settings.tracing.endpoint == "http://localhost:4318/v1/traces"


def test_grpc_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _settings(
            tmp_path, "litellm_settings:\n  callbacks: [otel]\n", OTEL_EXPORTER_OTLP_PROTOCOL="grpc"
        )
    assert caught.value.problems == [
        "OTEL_EXPORTER_OTLP_PROTOCOL=grpc: only http/protobuf is supported"
    ]


def test_bad_otel_values_are_listed_with_their_paths(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "general_settings:\n  otel:\n    endpoint: collector:4318\n    sample_ratio: 2\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, {})
    assert caught.value.problems == [
        "general_settings.otel.endpoint: not an http(s) URL: 'collector:4318'",
        "general_settings.otel.sample_ratio: Input should be less than or equal to 1",
    ]


def test_other_callbacks_are_ignored_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("litellm_settings:\n  callbacks: [otel, langfuse]\n")
    _, warnings = load_config(path, {})
    assert warnings == ["litellm_settings.callbacks: not supported, ignored: langfuse"]


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("litellm_settings:\n  json_logs: true\n", {}, True),
        ("{}\n", {"JSON_LOGS": "True"}, True),
        ("{}\n", {"DELTALLM_JSON_LOGS": "1"}, True),
        ("litellm_settings:\n  json_logs: true\n", {"DELTALLM_JSON_LOGS": "0"}, False),
        ("{}\n", {}, False),
    ],
)
def test_json_logs_from_config_or_environment(
    tmp_path: Path, text: str, env: dict[str, str], expected: bool
) -> None:
    assert _settings(tmp_path, text, **env).json_logs is expected
