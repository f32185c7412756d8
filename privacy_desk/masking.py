"""Personal data out of a customer's text before it may become a training example: emails, phone numbers,
member numbers, postal addresses (English and Japanese) and the names and values known on the ticket become
placeholders ([email], [phone], [member_number], [address], [name]).

Pure: text and what the ticket knows in, masked text out. It masks generously: a training example that lost a
harmless number costs little; one that kept a customer's phone number is a leak.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

# A ticket reference is no personal data, but must not read as a member number: it gets its own placeholder.
REFERENCE = re.compile(r"\bPRQ-\d{4}-\d{6}\b")
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+[@＠][A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
# The same pattern as the NLU's phone regex (intents/regex.yml): numbers phonenumbers will not take as valid.
PHONE_LIKE = re.compile(r"(?<![0-9０-９A-Za-zＡ-Ｚａ-ｚ\-－])"
                        r"(?:[+＋][0-9０-９]{1,3}[\s\-－]?[(（]?[0-9０-９]{1,4}[)）]?|[(（][0-9０-９]{2,4}[)）]|[0０][0-9０-９]{1,4})"
                        r"(?:[\s.\-－‐ー]?[0-9０-９]{2,4}){1,3}"
                        r"(?![0-9０-９])")
# Member numbers as the packs' customers write them: "M-204511", "ITO-48120", or a long bare number.
MEMBER_CODE = re.compile(r"\b[A-Z]{1,5}-?[0-9]{4,}\b")
MEMBER_CUE = re.compile(r"(?i)(member(?:ship)?\s*(?:no\.?|number|num|#|id)\s*[:：]?\s*"
                        r"|会員(?:番号|ID|ＩＤ)\s*(?:は|が|[:：])?\s*)([A-Za-z0-9０-９Ａ-Ｚａ-ｚ\-－]+)")
LONG_NUMBER = re.compile(r"(?<![0-9０-９])[0-9０-９]{6,}(?![0-9０-９])")
# Japanese addresses: the postal mark or code, and a prefecture with what follows it up to a pause.
POSTAL_CODE = re.compile(r"〒\s*[0-9０-９]{3}[\-－ー]?[0-9０-９]{4}"
                         r"|(?<![0-9０-９\-－])[0-9０-９]{3}[\-－][0-9０-９]{4}(?![0-9０-９\-－])")
PREFECTURE = re.compile(r"(?:東京都|北海道|(?:京都|大阪)府|(?:神奈川|和歌山|鹿児島|[^\s、。,，\d]{2})県)"
                        r"[一-龥々ヶァ-ヴー0-9０-９\-－丁目番地号]*")
JA_CITY_BLOCK = re.compile(r"[一-龥]{1,5}[市区町村郡][一-龥ぁ-んァ-ヶ]{0,8}[0-9０-９一二三四五六七八九十]+"
                           r"(?:[丁目番地号\-－ー][0-9０-９一二三四五六七八九十]*)+")
# English-language addresses: a house number, then a street word, or Japanese blocks written in romaji.
STREET = re.compile(r"\b\d+[A-Za-z]?(?:\s+[A-Z][A-Za-z'.]*){1,4}\s+(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|"
                    r"Ln\.?|Drive|Dr\.?|Way|Boulevard|Blvd\.?|Place|Pl\.?|Court|Ct\.?|Terrace|Close|Square)\b"
                    r"(?:,\s*[A-Z][\w.\- ]*?(?=[,.;\n]|$))*")
ROMAJI_BLOCK = re.compile(r"\b\d+(?:-\d+){1,3}\s+[A-Z][\w-]*(?:[ ,]+[A-Z][\w-]*(?:-(?:ku|shi|cho|machi|gun))?)*"
                          r"(?:\s+\d{3}-\d{4})?")

# Names the ticket does not know, where the writer introduces themselves.
_CAPITALISED = r"[A-Z][a-z'\-]+(?:\s+[A-Z][a-z'\-]+){0,2}"
NAME_CUE_EN = re.compile(rf"(?i:\b(?:my name is|i am|i'm|this is|regards,|sincerely,)\s+)({_CAPITALISED})"
                         rf"|\b({_CAPITALISED}\s+[A-Z][a-z'\-]+)(?=\s+here\b)")
NAME_CUE_JA = re.compile(r"(私は|わたしは)\s*[一-龥々]{1,4}(?:[\s\u3000]*[一-龥々]{1,4})?(?=\s*です)")
NAME_INTRO_JA = re.compile(r"[一-龥々]{1,4}(?:[\s\u3000]*[一-龥々]{1,4})?(?=\s*(?:と申します|と言います|でございます))")


@dataclass(frozen=True)
class KnownValues:
    """What the ticket already knows about the customer: masked wherever it appears, whatever its shape."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    member_number: str | None = None
    address: str | None = None
    company: str | None = None

    def placeholders(self) -> list[tuple[str, str]]:
        """(value, placeholder), longest first, so "Hanako Suzuki" goes before "Suzuki"."""
        pairs: list[tuple[str, str]] = []
        for value, label in ((self.email, "email"), (self.phone, "phone"), (self.member_number, "member_number"),
                             (self.address, "address"), (self.company, "company")):
            if value and len(value.strip()) >= 2:
                pairs.append((value.strip(), label))
        if self.name and self.name.strip():
            pairs += [(part, "name") for part in name_parts(self.name)]
        if self.email and "@" in self.email:
            # taro.yamada@example.jp: the writer's name, most likely, wherever it appears.
            local = self.email.split("@", 1)[0]
            pairs += [(part, "name") for part in re.split(r"[._\-+0-9]+", local) if len(part) >= 3]
        return sorted(pairs, key=lambda pair: -len(pair[0]))


def name_parts(name: str) -> list[str]:
    """The whole name, without its spaces, and each part of two characters or more (a surname alone, 鈴木)."""
    whole = " ".join(name.split())
    parts = [p for p in re.split(r"[\s\u3000・,]+", whole) if len(p) >= 2]
    return list(dict.fromkeys([whole, whole.replace(" ", ""), *parts]))


def mask(text: str, known: KnownValues = KnownValues(), region: str = "JP") -> str:
    """The text with personal data replaced by placeholders."""
    text = REFERENCE.sub("[reference]", text)
    text = EMAIL.sub("[email]", text)  # first: an address often holds the customer's name
    text = NAME_CUE_EN.sub(lambda m: m.group(0).replace(m.group(1) or m.group(2), "[name]"), text)
    text = NAME_CUE_JA.sub(lambda m: f"{m.group(1)}[name]", text)
    text = NAME_INTRO_JA.sub("[name]", text)
    for value, label in known.placeholders():
        text = re.sub(rf"(?<![A-Za-z]){re.escape(value)}(?![a-z])", f"[{label}]", text, flags=re.IGNORECASE)
    text = MEMBER_CUE.sub(lambda m: f"{m.group(1)}[member_number]", text)
    for pattern in (POSTAL_CODE, PREFECTURE, JA_CITY_BLOCK, STREET, ROMAJI_BLOCK):
        text = pattern.sub("[address]", text)
    text = _mask_phones(text, region)
    text = MEMBER_CODE.sub("[member_number]", text)
    text = LONG_NUMBER.sub("[member_number]", text)
    return _merge_repeats(text)


def _mask_phones(text: str, region: str) -> str:
    spans = [(m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, region,
                                                                        leniency=phonenumbers.Leniency.POSSIBLE)]
    text = _replace_spans(text, spans, "[phone]")
    return PHONE_LIKE.sub("[phone]", text)


def _replace_spans(text: str, spans: Iterable[tuple[int, int]], placeholder: str) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + placeholder + text[end:]
    return text


def _merge_repeats(text: str) -> str:
    # "[address] [address]" from two patterns over one address reads as one.
    return re.sub(r"(\[(\w+)\])(?:[\s,、]*\[\2\])+", r"\1", text)
