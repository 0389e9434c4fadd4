"""Full-text search over 1,000 briefings of synthetic ~60-minute transcripts: median query time.

    python bench/bench_search.py [--briefings 1000] [--minutes 60] [--queries 200] [--db PATH]

Builds a store in a temporary home (or --db), writes one transcript JSON per briefing the way the pipeline
does, records it as the briefing's ``json`` artifact, indexes everything with ``briefing.records.search`` (the same
code as ``briefing search``), then times :func:`briefing.records.search.search` over a mix of queries: content
words and phrases in Vietnamese, with and without diacritics, names, prefixes, date and speaker filters.
The target is a median under 50 ms. It prints the figures; the exit status is 1 if the target is missed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from briefing.core.store import Artifact, Briefing, Store  # noqa: E402
from briefing.records import search  # noqa: E402
from publish.files import sha256_file  # noqa: E402

# Function words: very frequent in every passage (as in real speech).
COMMON = (
    "và của các là có được những cho này với đã trong không người một để đến theo về cũng như khi "
    "thì đó chúng tôi chúng ta rất sẽ hiện nay ngày hôm nay tại từ đồng thời"
).split()
# Content words and phrases of a government press briefing, each a few syllables.
CONTENT = [
    "chính phủ",
    "thủ tướng",
    "bộ y tế",
    "tiêm chủng",
    "vắc xin",
    "ca nhiễm",
    "ca mắc mới",
    "phong tỏa",
    "giãn cách xã hội",
    "xét nghiệm",
    "bệnh viện",
    "điều trị",
    "khỏi bệnh",
    "tử vong",
    "cách ly",
    "tăng trưởng",
    "kinh tế",
    "xuất khẩu",
    "nhập khẩu",
    "lạm phát",
    "ngân sách",
    "đầu tư công",
    "giải ngân",
    "doanh nghiệp",
    "thị trường",
    "lao động",
    "việc làm",
    "bảo hiểm xã hội",
    "giáo dục",
    "học sinh",
    "đại học",
    "thi tốt nghiệp",
    "giao thông",
    "đường cao tốc",
    "sân bay",
    "cảng biển",
    "an toàn thực phẩm",
    "biến đổi khí hậu",
    "bão",
    "lũ lụt",
    "sạt lở",
    "hạn hán",
    "xâm nhập mặn",
    "nông nghiệp",
    "lúa gạo",
    "thủy sản",
    "du lịch",
    "khách quốc tế",
    "chuyển đổi số",
    "an ninh mạng",
    "phòng chống tham nhũng",
    "cải cách hành chính",
    "dịch vụ công trực tuyến",
    "căn cước công dân",
    "nhà ở xã hội",
    "giá xăng dầu",
    "điện lực",
    "năng lượng tái tạo",
    "môi trường",
    "rác thải nhựa",
    "quốc hội",
    "nghị quyết",
    "nghị định",
    "thông tư",
    "chỉ thị",
    "công điện",
    "hợp tác quốc tế",
    "ngoại giao",
    "biển đông",
    "chủ quyền",
    "quốc phòng",
    "người lao động",
    "trợ cấp",
    "gói hỗ trợ",
    "lãi suất",
    "tỷ giá",
    "chứng khoán",
    "trái phiếu",
    "bất động sản",
    "đất đai",
    "quy hoạch",
]
PLACES = [
    "Hà Nội",
    "Thành phố Hồ Chí Minh",
    "Đà Nẵng",
    "Hải Phòng",
    "Cần Thơ",
    "Quảng Ninh",
    "Nghệ An",
    "Thanh Hóa",
    "Bình Dương",
    "Đồng Nai",
    "Khánh Hòa",
    "Lâm Đồng",
    "Huế",
    "Bắc Ninh",
    "Long An",
    "Kiên Giang",
    "Lào Cai",
    "Điện Biên",
    "Sơn La",
    "Quảng Nam",
    "Bình Định",
    "Gia Lai",
    "Đắk Lắk",
]
SPEAKERS = [
    "Người phát ngôn Chính phủ",
    "Bộ trưởng Bộ Y tế",
    "Thứ trưởng Bộ Tài chính",
    "Bộ trưởng Bộ Giáo dục",
    "Thứ trưởng Bộ Công Thương",
    "Phóng viên",
]

QUERIES = [
    "tiêm chủng",
    "tiem chung",
    "vắc xin",
    "vac xin",
    "ca mắc mới",
    "ca mac moi",
    "Đà Nẵng",
    "da nang",
    "giãn cách xã hội",
    "gian cach",
    '"bảo hiểm xã hội"',
    "bao hiem xa hoi",
    "lạm phát",
    "lam phat",
    "xuất khẩu thủy sản",
    "xuat khau thuy san",
    "giá xăng dầu",
    "gia xang dau",
    "Điện Biên",
    "dien bien",
    "chuyển đổi số",
    "chuyen doi so",
    "đường cao tốc Nghệ An",
    "duong cao toc nghe an",
    "xâm nhập mặn",
    "xam nhap man",
    "trái phiếu",
    "trai phieu",
    "căn cước",
    "can cuoc",
    "thi tốt nghiệp",
    "thi tot nghiep",
    "biến đổi khí hậu",
    "bien doi khi hau",
    "lúa gạo Kiên Giang",
    "lua gao kien giang",
    "năng lượng tái tạo",
    "nang luong tai tao",
    "phòng chống tham nhũng",
    "phong chong tham nhung",
    "giải ngân đầu tư công",
    "giai ngan dau tu cong",
    "sạt lở Lào Cai",
    "sat lo lao cai",
    "khách quốc tế",
    "khach quoc te",
    "quy hoạch*",
    "quy hoach*",
    "1.240",
    "3,5 phần trăm",
]


def synthetic_transcript(rng: random.Random, minutes: int, speakers: list[str]) -> dict:
    segments, t, i = [], 0.0, 0
    speaker = speakers[0]
    while t < minutes * 60:
        dur = rng.uniform(3.0, 8.0)
        words: list[str] = []
        while len(words) < int(dur * 2.6):  # ~2.6 syllables a second
            r = rng.random()
            if r < 0.55:
                words.append(rng.choice(COMMON))
            elif r < 0.85:
                words.extend(rng.choice(CONTENT).split())
            elif r < 0.93:
                words.extend(rng.choice(PLACES).split())
            else:
                words.append(
                    f"{rng.randint(1, 9999):,}".replace(",", ".")
                    if rng.random() < 0.5
                    else f"{rng.randint(1, 99)},{rng.randint(0, 9)} phần trăm"
                )
        text = " ".join(words)
        text = text[0].upper() + text[1:] + "."
        if rng.random() < 0.05:
            speaker = rng.choice(speakers)
        segments.append(
            {
                "id": i,
                "start": round(t, 2),
                "end": round(t + dur, 2),
                "text": " " + text,
                "words": [],
                "speaker": speaker,
            }
        )
        t += dur + rng.uniform(0.1, 0.8)
        i += 1
    return {"language": "vi", "duration": round(t, 2), "segments": segments, "model": "synthetic", "engine": "bench"}


def build(store: Store, work: Path, n: int, minutes: int, seed: int) -> tuple[int, float]:
    rng = random.Random(seed)
    start = date(2023, 1, 2)
    t0 = time.perf_counter()
    total = 0
    for k in range(n):
        day = (start + timedelta(days=k)).isoformat()
        bid = f"{day}-hop-bao-chinh-phu"
        spk = rng.sample(SPEAKERS, 3)
        store.save_briefing(
            Briefing(id=bid, title=f"Họp báo Chính phủ {day}", date=day, language="vi", speakers=tuple(spk))
        )
        tj = synthetic_transcript(rng, minutes, spk)
        total += len(tj["segments"])
        path = work / bid / "transcript" / "transcript.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
        store.stage_started(bid, "transcribe", "bench")
        store.stage_done(
            bid, "transcribe", "bench", [Artifact("json", str(path), sha256_file(path), path.stat().st_size)]
        )
    for _ in search.ensure_indexed(store):
        pass
    return total, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--briefings", type=int, default=1000)
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--queries", type=int, default=300, help="timed queries (the query mix, repeated)")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--db", type=Path, help="keep the store here (re-used if it exists)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        db = args.db or Path(tmp) / "briefing.db"
        fresh = not db.exists()
        store = Store(db)
        if fresh:
            passages, secs = build(store, Path(tmp) / "briefings", args.briefings, args.minutes, args.seed)
            print(
                f"indexed {args.briefings} briefings x {args.minutes} min = {passages:,} passages "
                f"in {secs:.1f} s ({db.stat().st_size / 1e6:.0f} MB store)"
            )
        else:
            passages = store.query("SELECT count(*) FROM search_segments")[0][0]
            print(f"re-using {db}: {passages:,} passages")

        rng = random.Random(args.seed)
        mix = []
        for i in range(args.queries):
            q = QUERIES[i % len(QUERIES)]
            kw: dict = {}
            if i % 5 == 3:
                d0 = date(2023, 1, 2) + timedelta(days=rng.randint(0, max(args.briefings - 90, 1)))
                kw = {"date_from": d0.isoformat(), "date_to": (d0 + timedelta(days=90)).isoformat()}
            elif i % 5 == 4:
                kw = {"speaker": rng.choice(["bo truong", "Thứ trưởng", "người phát ngôn"])}
            mix.append((q, kw))
        for q, kw in mix[:10]:  # warm the page cache
            search.search(store, q, **kw)
        times, hits = [], []
        for q, kw in mix:
            t0 = time.perf_counter()
            res = search.search(store, q, limit=20, **kw)
            times.append((time.perf_counter() - t0) * 1000)
            hits.append(len(res))
        store.close()

    times.sort()
    med = statistics.median(times)
    p95 = times[int(0.95 * (len(times) - 1))]
    print(
        f"{len(times)} queries (limit 20), {sum(1 for h in hits if h)} with results: "
        f"median {med:.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms"
    )
    print(f"median query time: {med:.1f} ms (target < 50 ms) — {'OK' if med < 50 else 'MISSED'}")
    return 0 if med < 50 else 1


if __name__ == "__main__":
    sys.exit(main())
