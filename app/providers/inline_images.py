"""Replacing remote image URLs in chat messages with data URLs, for providers that need it."""

from __future__ import annotations

from typing import Any

from app.security.url_fetch import UrlFetcher

__all__ = ["inline_remote_images"]


async def inline_remote_images(body: dict[str, Any], fetcher: UrlFetcher | None) -> dict[str, Any]:
    """A copy of ``body`` whose http(s) image URLs are fetched and inlined.

    Without a fetcher, or with URL fetching disabled, the body is returned unchanged
    and the adapter rejects remote URLs itself.
    """
    if fetcher is None or not fetcher.enabled:
        return body
    messages = body.get("messages")
    if not isinstance(messages, list):
        return body
    changed = False
    new_messages: list[Any] = []
    for m_index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            new_messages.append(message)
            continue
        parts: list[Any] = []
        for p_index, part in enumerate(content):
            image = part.get("image_url") if isinstance(part, dict) else None
            url = image.get("url") if isinstance(image, dict) else image
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                where = f"messages[{m_index}].content[{p_index}].image_url.url"
                data_url = await fetcher.as_data_url(url, where)
                part = {
                    **part,
                    "image_url": {**(image if isinstance(image, dict) else {}), "url": data_url},
                }
                changed = True
            parts.append(part)
        new_messages.append({**message, "content": parts})
    return {**body, "messages": new_messages} if changed else body
