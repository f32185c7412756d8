"""`privacy-desk classify`: JSON lines in, JSON lines out, in order, through the real Rasa server."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

from tests.support.stack import ChatStack

pytestmark = pytest.mark.rasa

EMAIL = """Dear Sir or Madam,

I no longer use your software. Please delete my account and all personal data you hold about me.

Best regards,
Hanako Suzuki
Example Trading K.K.
Tel: 03-1234-5678
hanako.suzuki@example.jp

On Mon, 2 Nov 2026 at 10:02, ITO Support <support@itosoft.com> wrote:
> Thank you for your order of our asset management tool.
> Your licence key is attached.
"""


def classify(chat: ChatStack, lines: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "desk_app", "classify", "--rasa-url", chat.rasa_url],
                          input="\n".join(lines) + "\n", capture_output=True, text=True, env=chat.env, timeout=120)


def test_chat_lines_and_a_whole_email(chat: ChatStack) -> None:
    inputs = [
        {"text": "stop sending me your newsletter please", "channel": "chat"},
        {"text": "How long do you keep my personal data?"},
        {"text": EMAIL, "subject": "Delete my account", "channel": "email"},
        {"text": "my email is taro.yamada@example.jp and my phone is 090-1234-5678", "channel": "chat"},
    ]
    result = classify(chat, [json.dumps(i) for i in inputs])
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["intent"] for o in out[:3]] == ["request_marketing_optout", "ask_security", "request_deletion"]
    assert all(0.0 <= o["confidence"] <= 1.0 and o["language"] == "en" for o in out)
    # Entities come from the body and the signature, exactly as written, and not from the quoted mail.
    assert out[2]["entities"]["email"] == "hanako.suzuki@example.jp"
    assert out[2]["entities"]["phone"] == "03-1234-5678"
    assert "support@itosoft.com" not in json.dumps(out[2]["entities"])
    assert out[3]["entities"] == {"email": "taro.yamada@example.jp", "phone": "090-1234-5678"}


def test_bad_lines_are_reported_in_place(chat: ChatStack) -> None:
    result = classify(chat, ['{"text": "delete my data"}', "not json", '{"text": 5}',
                             '{"text": "hi", "channel": "fax"}'])
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 4 and out[0]["intent"] == "request_deletion"
    assert [("error" in o) for o in out] == [False, True, True, True]
    assert out[1]["error"].startswith("line 2:")
    assert result.stderr.strip().endswith("3 input line(s) could not be classified")


def test_a_mail_with_a_pasted_log_is_classified_from_its_top(chat: ChatStack) -> None:
    # Whole, this body makes Rasa run out of memory; the model is given its first 5,000 characters.
    body = ("Hello,\n\nPlease send me a copy of all personal data you hold about me.\n\nThe sync log you asked for:\n"
            + "2026-11-01 12:00:01 INFO sync ok id=4411 rows=12 t=0.2 s\n" * 6000
            + "\nBest regards,\nKen Sato\nken.sato@example.com\n")
    result = classify(chat, [json.dumps({"text": body, "subject": "My data", "channel": "email"}),
                             json.dumps({"text": "x " * 30_000, "channel": "chat"})])
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0]["intent"] == "request_disclosure"
    assert out[0]["entities"]["email"] == "ken.sato@example.com"  # the signature is still read, below the log
    assert "intent" in out[1]


@pytest.mark.parametrize("text", ["x " * 100_000, "ご確認ください。" * 25_000], ids=["latin", "japanese"])
def test_the_model_reads_a_huge_message_up_to_its_token_limit(chat: ChatStack, text: str) -> None:
    # Any channel can carry such a message (socket.io has no limit of its own); read whole, it exhausts the
    # server's memory. The tokenizer stops at 2,500 tokens.
    token = {"token": chat.api_token}
    response = httpx.post(f"{chat.rasa_url}/model/parse", params=token, json={"text": text}, timeout=120)
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()["text_tokens"]) == 2500
    assert httpx.get(f"{chat.rasa_url}/status", params=token, timeout=10).status_code == 200
