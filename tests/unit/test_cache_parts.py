"""The response cache's pieces on their own: the byte-bounded LRU, the canonical key, the
controls parser and the stream assembler against the replay."""

from __future__ import annotations

import json

import pytest

from app.cache.assemble import StreamAssembler
from app.cache.backends.memory import MemoryBackend
from app.cache.controls import parse_controls
from app.cache.keys import cache_key, scope_of
from app.cache.messages_stream import MessagesAssembler, replay_message_events
from app.cache.replay import replay_events
from app.cache.responses_stream import ResponsesAssembler, replay_response_events
from app.errors import BadRequestError, PermissionDeniedError
from app.gateway_settings.sections import CacheScope
from app.keys.identity import KeyIdentity
from app.providers.base import Operation


async def test_the_memory_backend_evicts_least_recently_used_by_bytes() -> None:
    memory = MemoryBackend(max_bytes=10)
    await memory.set("a", b"1234", 60)
    await memory.set("b", b"5678", 60)
    assert await memory.get("a") == b"1234"  # a is now the most recently used
    await memory.set("c", b"9999", 60)
    assert await memory.get("b") is None
    assert await memory.get("a") == b"1234" and await memory.get("c") == b"9999"
    assert memory.size == 8
    await memory.set("huge", b"x" * 11, 60)  # larger than the whole cache: not kept
    assert await memory.get("huge") is None and memory.size == 8


def _identity(**fields: object) -> KeyIdentity:
    base: dict[str, object] = {
        "key_id": "k1",
        "key_hash": "h",
        "alias": None,
        "user_id": None,
        "team_id": "t1",
        "org_id": "o1",
        "levels": (),
    }
    return KeyIdentity(**{**base, **fields})  # type: ignore[arg-type]


def test_the_key_ignores_order_and_delivery_but_not_parameters() -> None:
    one = {"messages": [{"role": "user", "content": "x"}], "temperature": 0, "stream": True}
    two = {"temperature": 0, "messages": [{"content": "x", "role": "user"}], "user": "u"}
    assert cache_key(Operation.CHAT, "g", "org:o1", one) == cache_key(
        Operation.CHAT, "g", "org:o1", two
    )
    assert cache_key(Operation.CHAT, "g", "org:o1", one) != cache_key(
        Operation.CHAT, "g", "org:o2", one
    )
    assert cache_key(Operation.CHAT, "g", "org:o1", one) != cache_key(
        Operation.CHAT, "g", "org:o1", {**one, "temperature": 0.1}
    )
    assert scope_of(CacheScope.ORG, _identity()) == "org:o1"
    assert scope_of(CacheScope.ORG, _identity(org_id=None)) == "key:k1"
    assert scope_of(CacheScope.TEAM, _identity()) == "team:t1"
    assert scope_of(CacheScope.GLOBAL, None) == "master"


def test_controls_are_parsed_and_checked_against_the_key() -> None:
    allowed = _identity(allowed_cache_controls=frozenset({"no-cache", "s-maxage"}))
    controls = parse_controls({"no-cache": True}, {"cache-control": "max-age=30"}, allowed)
    assert not controls.read and controls.write and controls.max_age == 30
    with pytest.raises(PermissionDeniedError):
        parse_controls({"no-store": True}, None, allowed)
    ignored = parse_controls(None, {"cache-control": "no-store, no-cache"}, allowed)
    assert ignored.write and not ignored.read
    with pytest.raises(BadRequestError):
        parse_controls({"ttl": -1}, None, None)
    with pytest.raises(BadRequestError):
        parse_controls({"forever": True}, None, None)
    assert parse_controls({"use-cache": True}, None, _identity()).opt_in


def test_a_replayed_answer_assembles_back_into_itself() -> None:
    body = {
        "id": "chatcmpl-1",
        "created": 1,
        "model": "m",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Two  spaces and\nnew lines ",
                    "tool_calls": [
                        {
                            "id": "call_9",
                            "type": "function",
                            "function": {"name": "f", "arguments": json.dumps({"a": "b" * 70})},
                        }
                    ],
                },
                "logprobs": None,
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }
    assembler = StreamAssembler(chat=True)
    for event in replay_events(body, chat=True, include_usage=True):
        assembler.feed(event)
    assert assembler.done and assembler.complete()
    answer = assembler.answer(None)
    assert answer is not None and json.loads(answer) == body


def test_an_error_event_or_a_missing_finish_is_incomplete() -> None:
    assembler = StreamAssembler(chat=True)
    assembler.feed(b'data: {"choices": [{"index": 0, "delta": {"content": "x"}}]}\n\n')
    assert not assembler.complete()
    assembler.feed(b'data: {"error": {"message": "boom"}}\n\n')
    assembler.feed(b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n')
    assert assembler.answer(None) is None


def test_a_replayed_message_assembles_back_into_itself() -> None:
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude",
        "content": [
            {"type": "thinking", "thinking": "Hmm.", "signature": "sig"},
            {"type": "text", "text": "Two words"},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": "b" * 40}},
        ],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 5, "output_tokens": 7},
    }
    assembler = MessagesAssembler()
    for event in replay_message_events(message):
        assembler.feed(event)
    answer = assembler.answer(None)
    assert assembler.done and answer is not None and json.loads(answer) == message


def test_a_replayed_response_carries_its_function_call() -> None:
    call = {
        "id": "fc_1",
        "type": "function_call",
        "call_id": "call_1",
        "name": "f",
        "arguments": json.dumps({"city": "Paris" * 10}),
        "status": "completed",
    }
    response = {"id": "resp_1", "object": "response", "status": "completed", "output": [call]}
    events = [json.loads(e.split(b"data: ", 1)[1]) for e in replay_response_events(response)]
    deltas = [e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta"]
    assert "".join(deltas) == call["arguments"] and len(deltas) > 1
    assert events[-1] == {
        "type": "response.completed",
        "response": response,
        "sequence_number": len(events) - 1,
    }
    assembler = ResponsesAssembler()
    for event in replay_response_events(response):
        assembler.feed(event)
    assert json.loads(assembler.answer(None) or b"null") == response
