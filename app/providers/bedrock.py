"""Amazon Bedrock's Converse and ConverseStream APIs behind the OpenAI chat interface.

Requests are signed with SigV4 by botocore (imported on first use: it is heavy) and sent
on the deployment's pooled transport. Credentials and region come from the deployment's
``aws_*`` params, else from the standard AWS environment variables; a deployment with an
``api_key`` (a Bedrock API key) sends it as a bearer token instead.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

import msgspec
from yarl import URL

from app.errors import UpstreamError
from app.providers.base import Operation, Provider, ProviderCall, ProviderResult, ProviderStream
from app.providers.bedrock_request import to_converse_request
from app.providers.bedrock_response import bedrock_error, to_openai_response
from app.providers.inline_images import inline_remote_images

if TYPE_CHECKING:
    from app.config import DeploymentParams
    from app.providers.transport import Transport
    from app.security.url_fetch import UrlFetcher

__all__ = ["BedrockProvider", "bedrock_model_id"]

_encode = msgspec.json.encode


def bedrock_model_id(name: str) -> str:
    """The model id of ``bedrock/<id>`` (LiteLLM's ``converse/`` and ``invoke/`` route
    markers are dropped: every call goes through Converse)."""
    return name.removeprefix("converse/").removeprefix("invoke/")


def _misconfigured(problem: str) -> UpstreamError:
    """The deployment cannot be called as configured: the operator's problem, not the caller's
    (another deployment of the group may serve the call)."""
    return UpstreamError(f"bedrock: {problem}", status_code=502, code="upstream_configuration")


class BedrockProvider(Provider):
    name: ClassVar[str] = "bedrock"
    operations: ClassVar[frozenset[Operation]] = frozenset({Operation.CHAT})

    def __init__(
        self,
        params: DeploymentParams,
        transport: Transport | None,
        fetcher: UrlFetcher | None = None,
    ) -> None:
        super().__init__(params, transport, fetcher)
        from app.settings import aws_environment

        self._env = aws_environment()
        self._credentials: Any = None

    @property
    def region(self) -> str:
        region = (
            self.params.aws_region_name
            or self._env.get("AWS_REGION")
            or self._env.get("AWS_DEFAULT_REGION")
        )
        if not region:
            raise _misconfigured("no region: set aws_region_name or AWS_REGION")
        return region

    def _secret(self, param: Any, env_name: str) -> str | None:
        if param is not None and param.get_secret_value():
            return str(param.get_secret_value())
        return self._env.get(env_name)

    def _botocore_credentials(self) -> Any:
        if self._credentials is None:
            from botocore.credentials import Credentials

            key_id = self._secret(self.params.aws_access_key_id, "AWS_ACCESS_KEY_ID")
            secret = self._secret(self.params.aws_secret_access_key, "AWS_SECRET_ACCESS_KEY")
            if not key_id or not secret:
                raise _misconfigured(
                    "no AWS credentials: set aws_access_key_id and aws_secret_access_key, "
                    "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                )
            token = self._secret(self.params.aws_session_token, "AWS_SESSION_TOKEN")
            self._credentials = Credentials(key_id, secret, token)
        return self._credentials

    def url(self, model_id: str, *, stream: bool) -> str:
        """The endpoint, its model id percent-encoded (ARNs carry ``:`` and ``/``)."""
        base = self.params.aws_bedrock_runtime_endpoint or self.params.api_base
        if not base:
            base = f"https://bedrock-runtime.{self.region}.amazonaws.com"
        action = "converse-stream" if stream else "converse"
        return f"{base.rstrip('/')}/model/{quote(model_id, safe='')}/{action}"

    def signed_headers(self, url: str, body: bytes, *, stream: bool) -> dict[str, str]:
        """The headers of one request: SigV4-signed, or a Bedrock API key as bearer token."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        # botocore's signer logs the canonical request (the session token among its
        # headers) at DEBUG: never, whatever the gateway's log level.
        logging.getLogger("botocore.auth").setLevel(logging.INFO)

        accept = "application/vnd.amazon.eventstream" if stream else "application/json"
        if self.params.api_key is not None:
            # A Bedrock API key is a bearer token and replaces SigV4.
            return {
                "Content-Type": "application/json",
                "Accept": accept,
                "Authorization": f"Bearer {self.params.api_key.get_secret_value()}",
            }
        request = AWSRequest(
            method="POST",
            url=url,
            data=body,
            headers={"Content-Type": "application/json", "Accept": accept},
        )
        SigV4Auth(self._botocore_credentials(), "bedrock", self.region).add_auth(request)
        return {str(k): str(v) for k, v in request.headers.items()}

    async def _prepare(self, call: ProviderCall, *, stream: bool) -> tuple[str, str, bytes]:
        self.check_supported(call.op)
        body = await inline_remote_images(dict(call.body), self.fetcher)
        model = str(body.get("model") or self.params.upstream_model)
        model_id = bedrock_model_id(model)
        content = _encode(to_converse_request(body, model_id))
        return model, self.url(model_id, stream=stream), content

    async def call(self, call: ProviderCall, timeout: float) -> ProviderResult:
        assert self.transport is not None
        model, url, content = await self._prepare(call, stream=False)
        response = await self.transport.send(
            "POST",
            URL(url, encoded=True),
            headers=self.signed_headers(url, content, stream=False),
            body=content,
            timeout=timeout,
        )
        if response.status >= 400:
            raise bedrock_error(response.status, response.body, response.headers)
        answer, usage = to_openai_response(response.body, model=model)
        return ProviderResult(answer, "application/json", usage)

    async def stream(self, call: ProviderCall, timeout: float) -> ProviderStream:
        from app.providers.bedrock_stream import BedrockStream

        assert self.transport is not None
        model, url, content = await self._prepare(call, stream=True)
        response = await self.transport.open_stream(
            "POST",
            URL(url, encoded=True),
            headers=self.signed_headers(url, content, stream=True),
            body=content,
            timeout=timeout,
        )
        if response.status >= 400:
            raise bedrock_error(response.status, await response.read(), response.headers)
        return BedrockStream(response, model=model, include_usage=call.include_usage)
