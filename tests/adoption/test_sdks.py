"""The openai and anthropic SDKs (installed from PyPI) on faststream, through
`httpx.Client(transport=faststream.HTTPXTransport())` and the async twin.

A loopback server speaks each API's wire format: OpenAI's chat completions (a JSON completion;
with `"stream": true`, server-sent events of chunk objects ending in `data: [DONE]`) and
Anthropic's messages (a JSON message; with `"stream": true`, its typed event stream). Each
test checks the content the SDK hands back, that every request went through faststream's
transport (a counting subclass), and that faststream's pool reused one connection.
"""

from __future__ import annotations

import json
import typing

import anthropic
import httpx
import openai
import pytest

import faststream
from tests.client._backends import BACKENDS, run_on
from tests.servers.app import AppServer, Exchange

WORDS = ["Hel", "lo", " from", " faststream"]


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
    assert ex.header("x-api-key") == "test-key"
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
    transport = CountingTransport()
    with openai.OpenAI(
        base_url=f"{api_server.url}/v1",
        api_key="test-key",
        max_retries=0,
        http_client=httpx.Client(transport=transport),
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
    transport = AsyncCountingTransport()

    async def main() -> tuple[str | None, str]:
        async with openai.AsyncOpenAI(
            base_url=f"{api_server.url}/v1",
            api_key="test-key",
            max_retries=0,
            http_client=httpx.AsyncClient(transport=transport),
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
    transport = CountingTransport()
    with anthropic.Anthropic(
        base_url=api_server.url,
        api_key="test-key",
        max_retries=0,
        http_client=httpx.Client(transport=transport),
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
    transport = AsyncCountingTransport()

    async def main() -> tuple[str, str]:
        async with anthropic.AsyncAnthropic(
            base_url=api_server.url,
            api_key="test-key",
            max_retries=0,
            http_client=httpx.AsyncClient(transport=transport),
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


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
