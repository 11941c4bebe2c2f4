"""Amounts of money as a reviewer types them: understood exactly, or refused with the reason.

Nothing typed is dropped or reinterpreted: "-500" is refused (not 500), "1e9" is refused (not
19 nor a billion), "12.345" is refused (not rounded). Full-width digits are read as digits and
the Chinese units 千, 万 and 亿 multiply ("1.2万" is 12000); amounts in Chinese numerals
("一万二") are refused with a message asking for digits.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from app.errors import InvalidAnswer


class MoneyProblem(enum.StrEnum):
    EMPTY = "empty"
    NEGATIVE = "negative"
    EXPONENT = "exponent"
    CHINESE_NUMERALS = "chinese_numerals"
    GROUPING = "grouping"
    TOO_MANY_DECIMALS = "too_many_decimals"
    NOT_AN_AMOUNT = "not_an_amount"


_MESSAGES = {
    MoneyProblem.EMPTY: "no amount given",
    MoneyProblem.NEGATIVE: "an amount cannot be negative",
    MoneyProblem.EXPONENT: "write the amount in full digits, not as a power of ten",
    MoneyProblem.CHINESE_NUMERALS: "write the amount in digits (e.g. 1.2万), not in Chinese numerals",
    MoneyProblem.GROUPING: "thousands separators must group three digits (e.g. 12,000)",
    MoneyProblem.TOO_MANY_DECIMALS: "at most two decimals (fen)",
    MoneyProblem.NOT_AN_AMOUNT: "only digits, one decimal point, thousands separators and 千/万/亿",
}


class InvalidMoney(InvalidAnswer):
    """An amount refused as typed; `problem` says why (the window says it in its language)."""

    def __init__(self, text: str, problem: MoneyProblem) -> None:
        super().__init__(f"{text!r} is not an amount of money: {_MESSAGES[problem]}.")
        self.text = text
        self.problem = problem


_UNITS = {"千": Decimal(1000), "万": Decimal(10000), "萬": Decimal(10000), "亿": Decimal(100000000)}
_NUMERALS = re.compile(r"[零〇一二两三四五六七八九十百壹贰叁肆伍陆柒捌玖拾佰仟]")
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def parse_money(text: str) -> Decimal:
    """The amount the text says, exactly; InvalidMoney when it says none (or says it unclearly)."""
    # NFKC reads full-width digits, comma, point and minus as their ASCII forms.
    normal = unicodedata.normalize("NFKC", text).strip()
    normal = normal.removeprefix("¥").removesuffix("元").strip()
    if not normal:
        raise InvalidMoney(text, MoneyProblem.EMPTY)
    if normal[0] in "-−‐–":
        raise InvalidMoney(text, MoneyProblem.NEGATIVE)
    if _NUMERALS.search(normal):
        raise InvalidMoney(text, MoneyProblem.CHINESE_NUMERALS)
    unit = Decimal(1)
    if normal[-1] in _UNITS:
        unit = _UNITS[normal[-1]]
        normal = normal[:-1].strip()
    if re.fullmatch(r"[0-9.,]+[eE][+-]?[0-9]+", normal):
        raise InvalidMoney(text, MoneyProblem.EXPONENT)
    if _GROUPED.fullmatch(normal):
        normal = normal.replace(",", "")
    elif "," in normal and re.fullmatch(r"[0-9,]+(?:\.[0-9]+)?", normal):
        raise InvalidMoney(text, MoneyProblem.GROUPING)
    if not _PLAIN.fullmatch(normal):
        raise InvalidMoney(text, MoneyProblem.NOT_AN_AMOUNT)
    try:
        amount = Decimal(normal) * unit
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise InvalidMoney(text, MoneyProblem.NOT_AN_AMOUNT) from None
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidMoney(text, MoneyProblem.TOO_MANY_DECIMALS)
    return amount.quantize(Decimal("0.01"))
