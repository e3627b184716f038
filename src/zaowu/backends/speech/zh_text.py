"""Chinese text for the Mandarin voice: numbers read as Chinese words, Latin runs split off.

The Mandarin model reads only Chinese characters, so before synthesis a sentence is cut
into runs:

    split_mixed("我们用 Python 3 写了 2 个程序。")
    -> [("zh", "我们用"), ("en", "Python 3"), ("zh", "写了两个程序。")]

Latin words (with any digits attached to them, e.g. "iPhone 15", "GPT-4") are read by the
English voice and spliced in with a short pause; every other number is rewritten in
Chinese by ``read_numbers``: counts (1024 -> 一千零二十四), decimals (3.14 -> 三点一四),
percentages (50% -> 百分之五十), years before 年 and long or zero-led numbers digit by
digit (2024年 -> 二零二四年, 010-8888 -> 零一零八八八八), clock times (9:30 -> 九点三十分),
signs (-5 -> 负五), ranges (3-5 -> 三到五),
telephone numbers digit by digit and 两 before a measure word (2个 -> 两个). Standard library only.
"""

from __future__ import annotations

import re

__all__ = ["read_integer", "read_digits", "read_numbers", "split_mixed"]

_DIGITS = "零一二三四五六七八九"
_SMALL_UNITS = ("", "十", "百", "千")
_BIG_UNITS = ("", "万", "亿", "万亿")
_MEASURE = set("个位只本条件张次天岁名家种台辆双对杯碗块斤瓶本部间层项份点")
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9'’.+#&-]*(?:[ \t,;:]+(?:[A-Za-z0-9][A-Za-z0-9'’.+#&-]*))*")
_NUMBER = re.compile(
    r"(?P<time>(?<!\d)(?P<h>[01]?\d|2[0-3])[:：](?P<m>[0-5]\d)(?!\d))"
    r"|(?P<span>\d+(?:-\d+)+)"
    r"|(?P<sign>(?<![\w.])[-−])?(?P<int>\d+)(?:\.(?P<frac>\d+))?(?P<pct>[%％])?"
)


def read_digits(digits: str) -> str:
    return "".join(_DIGITS[int(d)] for d in digits)


def _read_group(n: int) -> str:
    """0 < n < 10000, with zeros where a unit is skipped (1005 -> 一千零五)."""
    out, zero = "", False
    for power in (3, 2, 1, 0):
        d = n // 10**power % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _SMALL_UNITS[power]
    return out


def read_integer(n: int) -> str:
    """A count in Chinese words: 0 -> 零, 12 -> 十二, 10086 -> 一万零八十六, 3000000 -> 三百万."""
    if n == 0:
        return "零"
    if n >= 10**16:
        return read_digits(str(n))
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out, pending_zero = "", False
    for i in range(len(groups) - 1, -1, -1):
        g = groups[i]
        if g == 0:
            pending_zero = bool(out)
            continue
        if out and (pending_zero or g < 1000):
            out += "零"
        out += _read_group(g) + _BIG_UNITS[i]
        pending_zero = False
    return out[1:] if out.startswith("一十") else out


def _replace(match: re.Match, text: str) -> str:
    if match.group("time"):
        hour, minute = int(match.group("h")), int(match.group("m"))
        return read_integer(hour) + "点" + (f"{read_integer(minute)}分" if minute else "整")
    if span := match.group("span"):
        groups = span.split("-")
        if span[0] == "0" or sum(map(len, groups)) >= 7:  # a telephone number
            return read_digits("".join(groups))
        return "到".join(read_integer(int(g)) for g in groups)  # a range: 3-5 -> 三到五
    digits, frac = match.group("int"), match.group("frac")
    after = text[match.end() : match.end() + 1]
    if frac is None and (after == "年" and len(digits) in (2, 4) or len(digits) > 1 and digits[0] == "0"
                         or len(digits) > 12 or len(digits) == 11 and digits[0] == "1"):  # fmt: skip
        words = read_digits(digits)
    else:
        words = read_integer(int(digits))
        if words == "二" and after in _MEASURE and not frac:
            words = "两"
    if frac:
        words += "点" + read_digits(frac)
    if match.group("sign"):
        words = "负" + words
    if match.group("pct"):
        words = "百分之" + words
    return words


def read_numbers(text: str) -> str:
    """``text`` with every number written as Chinese words."""
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # 1,000,000 -> 1000000
    return _NUMBER.sub(lambda m: _replace(m, text), text)


def split_mixed(sentence: str) -> list[tuple[str, str]]:
    """Runs of ("zh", Chinese text with numbers in words) and ("en", Latin words), in order."""
    runs: list[tuple[str, str]] = []
    last = 0
    for match in _LATIN_RUN.finditer(sentence):
        if match.start() > last:
            runs.append(("zh", sentence[last : match.start()]))
        runs.append(("en", match.group().strip(" .'’-")))
        last = match.end()
    if last < len(sentence):
        runs.append(("zh", sentence[last:]))
    out = []
    for lang, run in runs:
        if lang == "zh":
            run = read_numbers(re.sub(r"(?<!\d)\s+|\s+(?!\d)", "", run))
            if not re.search(r"[\u3400-\u9fff]", run):
                continue  # punctuation or spaces between Latin words
        if run:
            out.append((lang, run))
    return out
