"""The export of accepted corrections: Rasa NLU YAML, stand-ins for placeholders, nothing held out or repeated."""

from __future__ import annotations

import yaml

from desk_app.nlu_data import held_out_files, read_items
from privacy_desk.corrections import corrections_yaml, example_text, without_overlap


def test_placeholders_become_annotated_invented_values_in_the_example_language() -> None:
    assert example_text("I am [name], mail [email]", "en") == ("I am [Alex Morgan](name), "
                                                               "mail [someone@example.com](email)")
    assert example_text("[name]です。\n[phone]", "ja") == "[山田太郎](name)です。 [03-0000-0000](phone)"


def test_the_customers_own_brackets_are_not_read_as_annotations() -> None:
    line = example_text("see [my link](https://example.com) about [reference]", "en")
    assert line == "see [my link] (https://example.com) about PRQ-2026-000001"


def test_the_file_is_rasa_nlu_yaml_sorted_by_intent_without_repeats() -> None:
    content = corrections_yaml([("request_deletion", "delete me"), ("ask_fee", "is it free?"),
                                ("request_deletion", "delete  me")], "en")
    data = yaml.safe_load(content)
    assert data == {"version": "3.1", "nlu": [{"intent": "ask_fee", "examples": "- is it free?\n"},
                                              {"intent": "request_deletion", "examples": "- delete me\n"}]}
    assert "examples: |" in content
    assert corrections_yaml([("ask_fee", "is it free?")], "en") == corrections_yaml([("ask_fee", "is it free?")], "en")


def test_held_out_and_already_trained_texts_are_left_out() -> None:
    held_out = read_items(held_out_files("test", "en")[0])[0]["text"]
    kept, dropped = without_overlap([("ask_fee", held_out), ("ask_fee", "Already Known"), ("ask_fee", "new one")],
                                    "en", [held_out], ["already known"])
    assert kept == [("ask_fee", "new one")] and dropped == 2
