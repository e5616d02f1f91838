"""Token estimates that need no tokenizer files (nothing is downloaded at run time).

About four characters a token for English text, rounded up, plus OpenAI's per-message
overhead. Used for admission estimates and by the demo provider, never for billing a
provider that reports its own usage.
"""

from __future__ import annotations

from typing import Any

__all__ = ["estimate_prompt_tokens", "estimate_tokens"]

_PER_MESSAGE = 4
_IMAGE_TOKENS = 765


def estimate_tokens(text: str) -> int:
    if not text:
        return 0
    return max(1, (len(text) + 3) // 4)


def _content_tokens(content: Any) -> int:
    if isinstance(content, str):
        return estimate_tokens(content)
    if isinstance(content, list):
        total = 0
        for part in content:
            if not isinstance(part, dict):
                continue
            if part.get("type") in ("text", "input_text", "output_text"):
                total += estimate_tokens(str(part.get("text", "")))
            elif part.get("type") in ("image_url", "input_image", "image"):
                total += _IMAGE_TOKENS
            elif part.get("type") == "tool_result":
                total += _content_tokens(part.get("content"))
            elif part.get("type") == "tool_use":
                total += estimate_tokens(str(part.get("input", "")))
        return total
    return 0


def estimate_prompt_tokens(body: dict[str, Any]) -> int:
    """Estimated prompt tokens of a chat, Anthropic Messages, completion or embedding
    request body."""
    if "messages" in body and isinstance(body["messages"], list):
        total = 3 + _content_tokens(body.get("system"))
        for message in body["messages"]:
            if isinstance(message, dict):
                total += _PER_MESSAGE + _content_tokens(message.get("content"))
                for call in message.get("tool_calls") or []:
                    if isinstance(call, dict):
                        total += estimate_tokens(str(call.get("function", "")))
        for tool in body.get("tools") or []:
            total += estimate_tokens(str(tool))
        return total
    instructions = body.get("instructions")
    extra = estimate_tokens(instructions) if isinstance(instructions, str) else 0
    return extra + _input_tokens(body.get("prompt", body.get("input", "")))


def _input_tokens(value: Any) -> int:
    """A prompt or input: text, a token array, or a list of texts or token arrays."""
    if isinstance(value, str):
        return estimate_tokens(value)
    if isinstance(value, int):
        return 1
    if isinstance(value, dict):  # a Responses input item
        extra = value.get("output") or value.get("arguments") or ""
        return _PER_MESSAGE + _content_tokens(value.get("content")) + estimate_tokens(str(extra))
    if isinstance(value, list):
        return sum(len(v) if isinstance(v, list) else _input_tokens(v) for v in value)
    return 0
