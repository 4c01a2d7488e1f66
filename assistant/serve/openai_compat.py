"""`POST /v1/chat/completions`: the verified answer for OpenAI-compatible clients.

Citations survive twice: the message's content ends with a Markdown sources block (marker,
outlet, title, date, the quote unless the text already shows it, and the article id with its
offsets), and the response carries a top-level ``citations`` list — the same objects as
``ask --json`` — which OpenAI's SDKs keep as an extra field (``completion.citations``). With
``stream: true`` the checked answer is sent as one delta after verification, never the
unchecked words a model streams first, and the final chunk carries ``citations``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from assistant.errors import InputError
from assistant.serve.shared import Served
from assistant.types import Answer, Turn


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = ""

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatBody(BaseModel):
    model_config = ConfigDict(extra="ignore")  # temperature, max_tokens…: the answer is extractive

    model: str = Field("news-assistant", description="Echoed back; the configured backend answers.")
    messages: list[ChatMessage] = Field(..., min_length=1)
    stream: bool = False


def sources_block(answer: Answer) -> str:
    """Markdown lines a chat client shows under the answer; quotes in the text are not repeated."""
    if not answer.citations:
        return ""
    inline = answer.inline_quotes()
    lines = ["", "", "**Sources**", ""]
    for c in answer.citations:
        line = (
            f"[{c.n}] {c.outlet or 'unknown outlet'} · {c.title or c.article_id} · {c.date_text()}"
        )
        if c.n not in inline:
            line += f" — “{c.quote}”"
        lines.append(f"{line} (`{c.article_id}` chars {c.start}-{c.end})  ")
    return "\n".join(lines)


def conversation(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last user message is the question; earlier user/assistant pairs are the history."""
    if messages[-1].role != "user":
        raise InputError("the last message must be the user's question")
    history: list[Turn] = []
    pending = ""
    for m in messages[:-1]:
        if m.role == "user":
            pending = m.text()
        elif m.role == "assistant" and pending:
            answer = m.text().split("\n\n**Sources**", 1)[0]
            history.append(Turn(pending, answer, pending))
            pending = ""
    return messages[-1].text(), history


def _completion(answer: Answer, model: str, cid: str, created: int) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text + sources_block(answer)},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": [c.to_dict() for c in answer.citations],
        "refused": answer.refused,
    }


def _chunk(cid: str, created: int, model: str, delta: dict[str, Any], finish: str | None) -> str:
    return json.dumps(
        {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        },
        ensure_ascii=False,
    )


async def _stream(answer: Answer, model: str, cid: str, created: int) -> AsyncIterator[str]:
    content = answer.text + sources_block(answer)
    yield _chunk(cid, created, model, {"role": "assistant", "content": content}, None)
    last = json.loads(_chunk(cid, created, model, {}, "stop"))
    last["citations"] = [c.to_dict() for c in answer.citations]
    last["refused"] = answer.refused
    yield json.dumps(last, ensure_ascii=False)
    yield "[DONE]"


def chat_router(served: Served) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.post(
        "/chat/completions",
        tags=["openai"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ChatBody.model_json_schema()}},
            }
        },
    )
    async def chat_completions(request: Request) -> Any:
        """OpenAI-compatible: the verified answer with a Markdown sources block, plus a
        top-level `citations` list (article ids and offsets)."""
        from assistant.serve.http_api import read_json, validation_message

        try:
            body = ChatBody.model_validate(await read_json(request))
        except ValidationError as err:
            raise InputError(validation_message(err.errors())) from None
        question, history = conversation(body.messages)
        answer = await run_in_threadpool(lambda: served.answer(question, history))
        cid, created = f"chatcmpl-{secrets.token_hex(12)}", int(time.time())
        if body.stream:
            from sse_starlette import EventSourceResponse

            return EventSourceResponse(_stream(answer, body.model, cid, created))
        return _completion(answer, body.model, cid, created)

    return router
