"""The one diacritics folder (briefing.core.text.fold) and the site search page's JavaScript port of it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata

import pytest

from briefing.core import ids, text
from briefing.records import search

SAMPLES = [
    "Đà Nẵng TIÊM CHỦNG Hồ Chí Minh",
    "Nguyễn Thị Ánh Tuyết, Quảng Ngãi",
    "đường Điện Biên Phủ",
    unicodedata.normalize("NFD", "tiêm chủng mở rộng"),
    "Bộ Y tế: 35.000 xét nghiệm",
    "Thủ tướng Phạm Minh Chính",
    "Lễ hội Huế, quạt, ượng, ỹ, ử, ẫ",
    "Press briefing, Ministry of Health",
    "naïve café résumé Ångström",
    "ΟΔΟΣ İstanbul STRASSE",
    "ﬁve x²",
    "e\u0301\u20dd half\ufe20 marks\u1ab0\u1dc0",
    "",
    "   spaces  ",
]


def test_the_one_folder():
    assert text.fold("Đà Nẵng TIÊM CHỦNG") == "da nang tiem chung"
    assert search.fold is text.fold
    assert ids.slugify("Họp báo Chính phủ: Đà Nẵng") == "hop-bao-chinh-phu-da-nang"


def test_the_search_page_folds_like_python():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    page = search._page_html("Briefings", "vi")
    m = re.search(r"function fold\(s\) \{.*?\n  \}", page, re.S)
    assert m, "the search page has no fold function"
    script = (
        m.group(0) + "\nprocess.stdout.write(JSON.stringify(JSON.parse(require('fs').readFileSync(0, 'utf8'))"
        ".map(fold)));\n"
    )
    out = subprocess.run(
        [node, "-e", script], input=json.dumps(SAMPLES), capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout) == [text.fold(s) for s in SAMPLES]
