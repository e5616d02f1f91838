"""Azure OpenAI: OpenAI's wire format behind deployment URLs and an ``api-key`` header."""

from __future__ import annotations

from typing import Any, ClassVar

from app.errors import BadRequestError
from app.providers.base import Operation, ProviderCall
from app.providers.openai_compatible import PATHS, OpenAICompatibleProvider

__all__ = ["AzureOpenAIProvider"]

DEFAULT_API_VERSION = "2024-10-21"


class AzureOpenAIProvider(OpenAICompatibleProvider):
    name: ClassVar[str] = "azure"
    operations: ClassVar[frozenset[Operation]] = OpenAICompatibleProvider.operations - {
        Operation.RESPONSES
    }

    def url(self, op: Operation) -> str:
        if not self.params.api_base:
            raise BadRequestError("azure deployment has no api_base", code="misconfigured")
        base = self.params.api_base.rstrip("/")
        return f"{base}/openai/deployments/{self.params.upstream_model}{PATHS[op]}"

    def query_params(self) -> dict[str, str]:
        return {"api-version": self.params.api_version or DEFAULT_API_VERSION}

    def headers(self, *, json: bool) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if json:
            headers["Content-Type"] = "application/json"
        if self.params.api_key is not None:
            headers["api-key"] = self.params.api_key.get_secret_value()
        return headers

    def upstream_body(self, call: ProviderCall) -> dict[str, Any]:
        return {k: v for k, v in call.body.items() if k != "model"}
