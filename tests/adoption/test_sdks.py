"""The openai and anthropic SDKs (installed from PyPI) on faststream, through
`httpx.Client(transport=faststream.HTTPXTransport())` and the async twin -- or, for SDK
releases built on httpx2 (openai 3.x, anthropic 1.x and later), through
`httpx2.Client(transport=faststream.HTTPX2Transport())`: `sdk_library` reads which library the
installed release requires (the test environment pins httpx-based releases; tools/sdk-check
runs this module with the newest ones). The same API scenarios go through httpx2's client
directly too, with its own server-sent events reader.

A loopback server speaks each API's wire format: OpenAI's chat completions (a JSON completion;
with `"stream": true`, server-sent events of chunk objects ending in `data: [DONE]`) and
Anthropic's messages (a JSON message; with `"stream": true`, its typed event stream). Each
test checks the content the SDK hands back, that every request went through faststream's
transport (a counting subclass), and that faststream's pool reused one connection.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import types
import typing

import anthropic
import httpx
import httpx2
import openai
import pytest

import faststream
from tests.client._backends import BACKENDS, run_on
from tests.servers.app import AppServer, Exchange

WORDS = ["Hel", "lo", " from", " faststream"]


def sdk_library(sdk: str) -> types.ModuleType:
    """httpx or httpx2: the library the installed release of `sdk` is built on."""
    requirements = importlib.metadata.requires(sdk) or []
    on_httpx2 = any(re.match(r"httpx2\b", requirement) for requirement in requirements)
    return httpx2 if on_httpx2 else httpx


class CountingTransport(faststream.HTTPXTransport):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        return super().handle_request(request)


class AsyncCountingTransport(faststream.AsyncHTTPXTransport):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        return await super().handle_async_request(request)


class CountingTransport2(faststream.HTTPX2Transport):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[str] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request.url.path)
        return super().handle_request(request)


class AsyncCountingTransport2(faststream.AsyncHTTPX2Transport):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request.url.path)
        return await super().handle_async_request(request)


class Counting(typing.Protocol):
    requests: list[str]


def sdk_client(sdk: str) -> tuple[typing.Any, Counting]:
    """An httpx (or httpx2) `Client` for `sdk`, sending through faststream's counting transport."""
    if sdk_library(sdk) is httpx2:
        transport2 = CountingTransport2()
        return httpx2.Client(transport=transport2), transport2
    transport = CountingTransport()
    return httpx.Client(transport=transport), transport


def async_sdk_client(sdk: str) -> tuple[typing.Any, Counting]:
    if sdk_library(sdk) is httpx2:
        transport2 = AsyncCountingTransport2()
        return httpx2.AsyncClient(transport=transport2), transport2
    transport = AsyncCountingTransport()
    return httpx.AsyncClient(transport=transport), transport


def send_events(ex: Exchange, events: typing.Iterable[tuple[str | None, str]]) -> None:
    ex.send_head(
        200,
        [
            ("Content-Type", "text/event-stream"),
            ("Cache-Control", "no-cache"),
            ("Transfer-Encoding", "chunked"),
        ],
    )
    for event, data in events:
        prefix = f"event: {event}\n" if event else ""
        ex.write_chunk(f"{prefix}data: {data}\n\n".encode())
    ex.end_chunks()


def openai_chat(ex: Exchange) -> None:
    request = json.loads(ex.body)
    assert ex.header("Authorization") == "Bearer test-key"
    base = {"id": "chatcmpl-1", "created": 1, "model": request["model"]}
    if not request.get("stream"):
        message = {"role": "assistant", "content": "".join(WORDS)}
        ex.respond_json(
            {
                **base,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7},
            }
        )
        return

    def chunk(delta: dict[str, str], finish: str | None) -> tuple[None, str]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return None, json.dumps({**base, "object": "chat.completion.chunk", "choices": [choice]})

    events = [chunk({"role": "assistant", "content": ""}, None)]
    events += [chunk({"content": word}, None) for word in WORDS]
    events += [chunk({}, "stop"), (None, "[DONE]")]
    send_events(ex, events)


def anthropic_messages(ex: Exchange) -> None:
    request = json.loads(ex.body)
    # anthropic 2.x sends the key as a bearer token, earlier releases in x-api-key
    keys = (ex.header("x-api-key"), str(ex.header("Authorization")).removeprefix("Bearer "))
    assert "test-key" in keys
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": request["model"],
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": 3, "output_tokens": 0},
    }
    if not request.get("stream"):
        message["content"] = [{"type": "text", "text": "".join(WORDS)}]
        message["stop_reason"] = "end_turn"
        ex.respond_json(message)
        return
    events: list[tuple[str | None, dict[str, typing.Any]]] = [
        ("message_start", {"type": "message_start", "message": message}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        *(
            (
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "text_delta", "text": word},
                },
            )
            for word in WORDS
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": 4},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    send_events(ex, [(event, json.dumps(data)) for event, data in events])


@pytest.fixture
def api_server(app_server: AppServer) -> AppServer:
    app_server.add_route("/v1/chat/completions", openai_chat)
    app_server.add_route("/v1/messages", anthropic_messages)
    return app_server


MESSAGES: typing.Any = [{"role": "user", "content": "Say hello"}]


# -- openai ------------------------------------------------------------------------------------


def test_openai_chat_completion_and_stream(api_server: AppServer) -> None:
    http_client, transport = sdk_client("openai")
    with openai.OpenAI(
        base_url=f"{api_server.url}/v1",
        api_key="test-key",
        max_retries=0,
        http_client=http_client,
    ) as client:
        completion = client.chat.completions.create(model="gpt-test", messages=MESSAGES)
        stream = client.chat.completions.create(model="gpt-test", messages=MESSAGES, stream=True)
        deltas = [chunk.choices[0].delta.content for chunk in stream if chunk.choices]
    assert completion.choices[0].message.content == "Hello from faststream"
    assert completion.usage is not None and completion.usage.total_tokens == 7
    assert "".join(d for d in deltas if d) == "Hello from faststream"
    assert transport.requests == ["/v1/chat/completions"] * 2
    assert api_server.connections_accepted == 1


# openai's own async generators (its SSE decoder) stop at `[DONE]` without being closed; trio
# warns when it finalizes them, whatever the transport (httpx's own too). faststream's are closed.
@pytest.mark.filterwarnings("ignore:Async generator 'openai._streaming.:ResourceWarning")
def test_async_openai_chat_completion_and_stream(backend: str, api_server: AppServer) -> None:
    http_client, transport = async_sdk_client("openai")

    async def main() -> tuple[str | None, str]:
        async with openai.AsyncOpenAI(
            base_url=f"{api_server.url}/v1",
            api_key="test-key",
            max_retries=0,
            http_client=http_client,
        ) as client:
            completion = await client.chat.completions.create(model="gpt-test", messages=MESSAGES)
            stream = await client.chat.completions.create(
                model="gpt-test", messages=MESSAGES, stream=True
            )
            text = ""
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    text += chunk.choices[0].delta.content
        return completion.choices[0].message.content, text

    assert run_on(backend, main) == ("Hello from faststream", "Hello from faststream")
    assert transport.requests == ["/v1/chat/completions"] * 2
    assert api_server.connections_accepted == 1


# -- anthropic ---------------------------------------------------------------------------------


def test_anthropic_message_and_stream(api_server: AppServer) -> None:
    http_client, transport = sdk_client("anthropic")
    with anthropic.Anthropic(
        base_url=api_server.url,
        api_key="test-key",
        max_retries=0,
        http_client=http_client,
    ) as client:
        message = client.messages.create(model="claude-test", max_tokens=16, messages=MESSAGES)
        with client.messages.stream(
            model="claude-test", max_tokens=16, messages=MESSAGES
        ) as stream:
            streamed = "".join(stream.text_stream)
            final = stream.get_final_message()
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "Hello from faststream"  # type: ignore[union-attr]
    assert streamed == "Hello from faststream"
    assert final.stop_reason == "end_turn"
    assert transport.requests == ["/v1/messages"] * 2
    assert api_server.connections_accepted == 1


def test_async_anthropic_message_and_stream(backend: str, api_server: AppServer) -> None:
    http_client, transport = async_sdk_client("anthropic")

    async def main() -> tuple[str, str]:
        async with anthropic.AsyncAnthropic(
            base_url=api_server.url,
            api_key="test-key",
            max_retries=0,
            http_client=http_client,
        ) as client:
            message = await client.messages.create(
                model="claude-test", max_tokens=16, messages=MESSAGES
            )
            stream = await client.messages.create(
                model="claude-test", max_tokens=16, messages=MESSAGES, stream=True
            )
            text = ""
            async for event in stream:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    text += event.delta.text
        block = message.content[0]
        assert block.type == "text"
        return block.text, text

    assert run_on(backend, main) == ("Hello from faststream", "Hello from faststream")
    assert transport.requests == ["/v1/messages"] * 2
    assert api_server.connections_accepted == 1


# -- the same APIs through httpx2's client directly -------------------------------------------


def openai_text(events: typing.Iterable[typing.Any]) -> str:
    """The content an OpenAI chunk stream carries (events up to `[DONE]`, which must come)."""
    text = ""
    for event in events:
        if event.data == "[DONE]":
            return text
        for choice in json.loads(event.data)["choices"]:
            text += choice["delta"].get("content", "")
    raise AssertionError("the stream ended without [DONE]")


def anthropic_text(events: typing.Iterable[typing.Any]) -> tuple[list[str], str]:
    names, text = [], ""
    for event in events:
        names.append(event.event)
        data = json.loads(event.data)
        assert data["type"] == event.event
        if event.event == "content_block_delta":
            text += data["delta"]["text"]
    return names, text


ANTHROPIC_EVENTS = ["message_start", "content_block_start"]
ANTHROPIC_EVENTS += ["content_block_delta"] * len(WORDS)
ANTHROPIC_EVENTS += ["content_block_stop", "message_delta", "message_stop"]
REQUEST = {"model": "m", "max_tokens": 16, "messages": MESSAGES}
HEADERS = {"Authorization": "Bearer test-key", "x-api-key": "test-key"}


def test_httpx2_client_json_and_server_sent_events(api_server: AppServer) -> None:
    transport = CountingTransport2()
    with httpx2.Client(transport=transport, base_url=api_server.url, headers=HEADERS) as http:
        completion = http.post("/v1/chat/completions", json=REQUEST).json()
        with http.sse("/v1/chat/completions", method="POST", json={**REQUEST, "stream": True}) as s:
            assert s.response.headers["content-type"] == "text/event-stream"
            streamed = openai_text(list(s))  # read to the end: the connection is reused
        message = http.post("/v1/messages", json=REQUEST).json()
        with http.sse("/v1/messages", method="POST", json={**REQUEST, "stream": True}) as s:
            names, text = anthropic_text(s)
    assert completion["choices"][0]["message"]["content"] == "Hello from faststream"
    assert streamed == "Hello from faststream"
    assert message["content"] == [{"type": "text", "text": "Hello from faststream"}]
    assert (names, text) == (ANTHROPIC_EVENTS, "Hello from faststream")
    assert transport.requests == ["/v1/chat/completions"] * 2 + ["/v1/messages"] * 2
    assert api_server.connections_accepted == 1


def test_async_httpx2_client_json_and_server_sent_events(
    backend: str, api_server: AppServer
) -> None:
    transport = AsyncCountingTransport2()

    async def main() -> None:
        async with httpx2.AsyncClient(
            transport=transport, base_url=api_server.url, headers=HEADERS
        ) as http:
            completion = (await http.post("/v1/chat/completions", json=REQUEST)).json()
            assert completion["choices"][0]["message"]["content"] == "Hello from faststream"
            stream = {**REQUEST, "stream": True}
            async with http.sse("/v1/chat/completions", method="POST", json=stream) as s:
                assert openai_text([event async for event in s]) == "Hello from faststream"
            async with http.sse("/v1/messages", method="POST", json=stream) as s:
                names, text = anthropic_text([event async for event in s])
            assert (names, text) == (ANTHROPIC_EVENTS, "Hello from faststream")

    run_on(backend, main)
    assert transport.requests == ["/v1/chat/completions"] * 2 + ["/v1/messages"]
    assert api_server.connections_accepted == 1


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
