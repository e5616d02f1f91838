"""A stream's spend record is queued before the caller sees the stream end.

The OpenAI SDKs take ``data: [DONE]`` as the end of an answer; an instance that dies
right after sending it must already have handed the record to the (durable) queue.
"""

from __future__ import annotations

import asyncio
from typing import Any

from app.gateway.metering import _split_done
from app.gateway.settlement import CallFacts
from tests.support.fake_openai import FakeOpenAI
from tests.support.gateway import running_gateway


def _config(fake: FakeOpenAI) -> dict[str, Any]:
    return {
        "model_list": [
            {
                "model_name": "m",
                "deltallm_params": {"model": "openai/m", "api_base": fake.base_url},
            }
        ]
    }


async def test_done_reaches_the_caller_only_after_the_record_is_queued(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.reply = "one two three"
    async with running_gateway(_config(fake_openai)) as gateway:
        # Settlement queues the record (with Redis: in the same round trip as the counters).
        settler = gateway.runtime.gateway.settler
        settle, release, queued = settler.settle, asyncio.Event(), []

        async def held_settle(facts: CallFacts, **outcome: Any) -> None:
            await release.wait()
            await settle(facts, **outcome)
            queued.append(facts.request_id)

        settler.settle = held_settle  # type: ignore[method-assign]
        async with gateway.client() as client:
            raw = await client.chat.completions.with_raw_response.create(
                model="m", messages=[{"role": "user", "content": "Hi"}], stream=True
            )
            chunks: list[Any] = []

            async def read() -> None:
                async for chunk in raw.parse():
                    chunks.append(chunk)

            reader = asyncio.create_task(read())
            try:
                for _ in range(500):  # every content chunk and the finish chunk arrive ...
                    if chunks and chunks[-1].choices[0].finish_reason == "stop":
                        break
                    await asyncio.sleep(0.01)
                assert chunks[-1].choices[0].finish_reason == "stop"
                await asyncio.sleep(0.3)
                assert not reader.done()  # ... but not the end while the record waits
            finally:
                release.set()
            await asyncio.wait_for(reader, 10)
    assert queued == [raw.headers["x-request-id"]]


def test_the_done_event_is_found_only_at_an_event_start() -> None:
    event = b'data: {"choices": [{"delta": {"content": "x"}}]}\n\n'
    assert _split_done(event + b"data: [DONE]\n\n") == (event, b"data: [DONE]\n\n")
    assert _split_done(b"data: [DONE]\n\n") == (b"", b"data: [DONE]\n\n")
    quoted = b'data: {"choices": [{"delta": {"content": "data: [DONE]"}}]}\n\n'
    assert _split_done(quoted) == (quoted, b"")
