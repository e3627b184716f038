"""Chinese text for the Mandarin voice: numbers read as Chinese words, Latin read the Chinese way.

The Mandarin model reads only Chinese characters, so before synthesis a sentence is cut into
runs that the Chinese voice can read and runs it cannot:

    split_mixed("我们的 AI 助手支持 Wi-Fi 和 5G，请打开 Microsoft Word。")
    -> [("zh", "我们的诶艾助手支持歪发和五吉，请打开"), ("en", "Microsoft Word"), ("zh", "。")]

A Chinese speaker reads acronyms and brand words inside a Chinese sentence in Chinese: "AI" as
letter names, "iPhone" as 爱疯. So Latin runs that a lexicon knows (AI, APP, CEO, USB, Wi-Fi,
iPhone, OK, VIP, DIY…) or that are acronyms (capitals such as CEO and KTV, letters with digits
such as A4, MP3 and GPT-4, a lone letter as in T恤 or B站) are rewritten for the Chinese voice
(``read_latin``: the lexicon, else letter names from ``LETTER_NAMES``), so the sentence stays in
one voice. Only real English words and phrases ("Microsoft Word", "Python 3") go to the English
voice and are spliced in with a short pause; with no English voice (the espeak-ng fallback) they
stay inline for espeak-ng to read. Every other number is rewritten in Chinese by ``read_numbers``:
counts (1024 -> 一千零二十四), decimals (3.14 -> 三点一四), percentages (50% -> 百分之五十),
years before 年 and long or zero-led numbers digit by digit (2024年 -> 二零二四年, 010-8888 ->
零一零八八八八), clock times (9:30 -> 九点三十分), signs (-5 -> 负五), ranges (3-5 -> 三到五),
telephone numbers digit by digit and 两 before a measure word (2个 -> 两个). Standard library only.
"""

from __future__ import annotations

import re

__all__ = ["read_integer", "read_digits", "read_numbers", "read_latin", "split_mixed", "LETTER_NAMES", "LEXICON"]

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
    if frac is None and (
        (after == "年" and len(digits) in (2, 4))
        or (len(digits) > 1 and digits[0] == "0")
        or len(digits) > 12
        or (len(digits) == 11 and digits[0] == "1")
    ):
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


# How a Mandarin speaker names each Latin letter, in characters the Chinese voice reads.
LETTER_NAMES = {
    "A": "诶",
    "B": "比",
    "C": "西",
    "D": "迪",
    "E": "伊",
    "F": "艾弗",
    "G": "吉",
    "H": "艾尺",
    "I": "艾",
    "J": "杰",
    "K": "开",
    "L": "艾勒",
    "M": "艾姆",
    "N": "恩",
    "O": "欧",
    "P": "批",
    "Q": "丘",
    "R": "阿尔",
    "S": "艾斯",
    "T": "提",
    "U": "优",
    "V": "维",
    "W": "达布溜",
    "X": "艾克斯",
    "Y": "歪",
    "Z": "贼德",
}
# Latin words with an established Chinese reading (keys in lower case).
LEXICON = {
    "ai": "诶艾",
    "app": "诶批批",
    "ceo": "西伊欧",
    "usb": "优艾斯比",
    "wi-fi": "歪发",
    "wifi": "歪发",
    "ok": "欧开",
    "vip": "维艾批",
    "diy": "迪艾歪",
    "iphone": "爱疯",
    "ipad": "爱派",
    "ios": "艾欧艾斯",
    "logo": "楼勾",
    "ppt": "批批提",
    "pdf": "批迪艾弗",
    "excel": "艾克塞尔",
    "vlog": "维楼格",
    "pro": "普肉",
    "max": "麦克斯",
    "plus": "普拉斯",
    "mini": "迷你",
    "air": "艾尔",
    "ultra": "奥特拉",
    "wechat": "微信",
    "tiktok": "提克托克",
    "nike": "耐克",
    "adidas": "阿迪达斯",
    "ikea": "宜家",
    "starbucks": "星巴克",
    "latte": "拿铁",
    "mocha": "摩卡",
    "cappuccino": "卡布奇诺",
    "hi": "嗨",
    "hello": "哈喽",
    "bye": "拜拜",
    "emoji": "伊魔吉",
    "ip": "艾批",
}
# Short capitals that are words, not acronyms ("NEW", "HOT" on a shop sign): read by the English voice.
CAPS_WORDS = frozenset(
    {
        "NEW",
        "HOT",
        "TOP",
        "OFF",
        "BUY",
        "GET",
        "SPA",
        "TEA",
        "BAR",
        "BIG",
        "FUN",
        "YES",
        "NO",
        "GO",
        "WOW",
        "ONE",
        "THE",
        "AND",
        "FOR",
        "YOU",
        "ALL",
        "NOW",
        "DAY",
        "OUT",
        "SALE",
    }
)
_SEPARATORS = re.compile(r"[ \t,;:]+")
_PARTS = re.compile(r"[A-Za-z]+|\d+|[^A-Za-z\d]")


def _spell(letters: str) -> str | None:
    """Letter names for an acronym (CEO, KTV, HTML, a lone letter); None for a word."""
    if len(letters) == 1:
        return LETTER_NAMES[letters.upper()]
    if not letters.isupper() or letters in CAPS_WORDS:
        return None
    if len(letters) >= 4 and any(c in "AEIOU" for c in letters):
        return None  # SALE, NASA: long capitals with vowels are read as words
    return "".join(LETTER_NAMES[c] for c in letters)


def _read_token(token: str) -> str | None:
    key = token.lower().strip(".'’")
    if key in LEXICON:
        return LEXICON[key]
    out = []
    for part in _PARTS.findall(token.strip(".'’")):
        if part.isdigit():
            out.append(read_numbers(part))
        elif part.isalpha():
            reading = LEXICON.get(part.lower()) or _spell(part)
            if reading is None:
                return None
            out.append(reading)
        elif part == "+":
            out.append("加")
        elif part not in "-.&#'’":
            return None
    return "".join(out) or None


def read_latin(run: str) -> str | None:
    """How the Chinese voice reads a run of Latin words: the lexicon's reading or letter names for
    every word (digits in Chinese); None when any word is a real English word (the English voice's)."""
    readings = [_read_token(t) for t in _SEPARATORS.split(run.strip()) if t]
    if not readings or any(r is None for r in readings):
        return None
    return "".join(readings)  # type: ignore[arg-type]


def _chinese(text: str) -> str:
    return read_numbers(re.sub(r"(?<!\d)\s+|\s+(?!\d)", "", text))


def split_mixed(sentence: str, *, english_voice: bool = True) -> list[tuple[str, str]]:
    """Runs of ("zh", text for the Chinese voice) and ("en", English words for the English voice), in
    order. Acronyms and lexicon words are read by the Chinese voice inside its run; without
    ``english_voice`` (espeak-ng reads Latin itself) the English words stay inline and the whole
    sentence is one ("zh", …) run."""
    pieces: list[list[str]] = []  # [lang, raw text]; Chinese runs are turned into words at the end

    def add(lang: str, text: str) -> None:
        if pieces and pieces[-1][0] == lang:
            pieces[-1][1] += (" " if lang == "en" else "") + text
        else:
            pieces.append([lang, text])

    last = 0
    for match in _LATIN_RUN.finditer(sentence):
        add("zh", _chinese(sentence[last : match.start()]))
        run = match.group().strip(" .'’-")
        reading = read_latin(run)
        if reading is not None:
            add("zh", reading)
        elif english_voice:
            add("en", run)
        else:
            add("zh", f" {run} ")
        last = match.end()
    add("zh", _chinese(sentence[last:]))
    out = []
    for lang, text in pieces:
        if lang == "en" or not english_voice:
            text = re.sub(r"\s+(?=[，。！？；：、,.!?;:])", "", " ".join(text.split()))
        if text and (lang == "en" or not english_voice or re.search(r"[\u3400-\u9fff]", text)):
            out.append((lang, text))
    return out
