"""``general_settings.responses_store`` and ``supports_responses_api`` in the config."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config import GatewayConfig


def test_store_is_off_by_default() -> None:
    store = GatewayConfig().general_settings.responses_store
    assert (store.enabled, store.retention_days, store.purge_interval) == (False, 30, 3600.0)


def test_store_settings_are_validated() -> None:
    with pytest.raises(ValidationError) as refused:
        GatewayConfig.model_validate(
            {"general_settings": {"responses_store": {"enabled": True, "retention_days": 0}}}
        )
    assert "retention_days" in str(refused.value)


def test_supports_responses_api_is_no_request_default() -> None:
    config = GatewayConfig.model_validate(
        {
            "model_list": [
                {
                    "model_name": "local",
                    "deltallm_params": {
                        "model": "openai/llama",
                        "supports_responses_api": False,
                        "temperature": 0.1,
                    },
                }
            ]
        }
    )
    params = config.model_list[0].deltallm_params
    assert params.supports_responses_api is False
    assert params.defaults == {"temperature": 0.1}
