"""The cluster end to end: a real redis-server on a loopback port, real `briefing worker` processes (each with
its own home: they never open the store), S3 on loopback (moto's server) as the cluster storage, and the
coordinator's `briefing backfill` / `briefing work`. What a user would see: every recording published,
announced and archived once, whatever happens to a worker or the broker."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cluster.helpers import (
    CLIPS,
    DEADLINE,
    REPO,
    Redis,
    Worker,
    briefing,
    configure,
    feed_ids,
    jobs,
    objects,
    poll,
    published,
    recordings,
    spawn,
)
from tests.distfixtures import receiver, s3, s3_endpoint  # noqa: F401

BACKFILL = ("--date-from-name", "--title-pattern", "Press briefing {date}")


@pytest.fixture
def redis_server(tmp_path: Path):  # noqa: ANN201
    r = Redis(tmp_path / "redis")
    r.start()
    yield r
    r.stop()


def _homes(tmp_path: Path, redis_server: Redis, s3, receiver, n_workers: int, visibility: str = "6h"):  # noqa: ANN001, ANN202, F811
    _, bucket, endpoint = s3
    coord = tmp_path / "coordinator"
    configure(
        coord,
        broker=redis_server.url,
        bucket=bucket,
        endpoint=endpoint,
        receiver_url=receiver.url("press"),
        visibility=visibility,
    )
    homes = []
    for i in range(n_workers):
        h = tmp_path / f"worker{i + 1}"
        configure(h, broker=redis_server.url, bucket=bucket, endpoint=endpoint, visibility=visibility)
        homes.append(h)
    return coord, homes


@contextlib.contextmanager
def _victim_held(tmp_path: Path, speech_dir: Path, redis_server: Redis, s3, receiver, n: int, **homes_kw: str):  # noqa: ANN001, ANN202
    """Two workers (each in its own home), a backfill of ``n`` recordings, and the first worker (the victim)
    held in the middle of its first transcription: yields (coordinator home, victim, other, backfill, its
    log). Both workers are stopped afterwards."""
    coord, homes = _homes(tmp_path, redis_server, s3, receiver, 2, **homes_kw)
    victim = Worker(homes[0], "victim", BRIEFING_TEST_PAUSE_AT="cluster:transcribing")
    other = Worker(homes[1], "other")
    try:
        victim.ready()
        other.ready()
        past = recordings(speech_dir, tmp_path / "past", n)
        log = tmp_path / "backfill.log"
        run = spawn(coord, log, "backfill", str(past), *BACKFILL)
        poll(lambda: "paused at cluster:transcribing" in victim.text(), "the victim to be mid-transcription")
        yield coord, victim, other, run, log
    finally:
        victim.stop()
        other.stop()


def _check_once(coord: Path, n: int, receiver) -> dict[str, int]:  # noqa: ANN001, F811
    pub = published(coord)
    assert len(pub) == n and set(pub.values()) == {1}, pub
    ids = feed_ids(coord)
    for bid in pub:
        assert sum(1 for i in ids if i.endswith(bid)) == 1, (bid, ids)
    assert receiver.count("press") == n, receiver.posts  # one announcement per briefing
    assert [j["status"] for j in jobs(coord)] == ["done"] * n
    return pub


def _results(s3) -> list[dict]:  # noqa: ANN001
    client, bucket, _ = s3
    out = []
    for obj in client.list_objects_v2(Bucket=bucket, Prefix="cluster/results/").get("Contents", []):
        out.append(json.loads(client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()))
    return out


@pytest.mark.whisper  # the workers load the model
def test_backfill_on_two_workers_processes_publishes_and_archives_each_once(
    tmp_path: Path, speech_dir: Path, redis_server: Redis, s3, receiver
) -> None:  # noqa: F811
    coord, homes = _homes(tmp_path, redis_server, s3, receiver, 2)
    workers = [Worker(h, h.name) for h in homes]
    try:
        for w in workers:
            w.ready()
        past = recordings(speech_dir, tmp_path / "past", 6)
        res = briefing(coord, "backfill", str(past), *BACKFILL, "--json")
        assert res.returncode == 0, res.stderr[-3000:]
        data = json.loads(res.stdout)
        assert len(data["registered"]) == 6 and not data["failed"] and len(data["work"]["done"]) == 6
        assert "recordings" not in res.stderr  # no progress with --json
        assert all(d["archived"] for d in data["work"]["done"])
        pub = _check_once(coord, 6, receiver)
        assert sorted(pub) == [f"2025-03-{i:02d}-press-briefing-2025-03-{i:02d}" for i in range(1, 7)]
        listed = json.loads(briefing(coord, "archive", "list", "--json").stdout)
        assert sorted(a["briefing_id"] for a in listed) == sorted(pub)
        # each package's bag was made on a worker; the coordinator checked it, stored it, and found it whole
        bags = [r for r in _results(s3) if r["id"].startswith("bag-")]
        assert len(bags) == 6 and {"bagit.txt", "bag-info.txt", "manifest-sha256.txt"} <= set(bags[0]["tags"])
        for bid in pub:
            res = briefing(coord, "archive", "verify", bid)
            assert res.returncode == 0 and res.stdout.startswith("ok: "), res.stdout + res.stderr
        # the storage keeps no recording's objects once it is finished, only the small task results
        assert objects(s3) == []
        # every transcription ran on the cluster, both workers took some, and neither opened a store
        done = [r for r in _results(s3) if r["id"].startswith("transcribe-")]
        assert len(done) == 6 and len({r["worker"] for r in done}) == 2
        # so did every speech extraction: the same bytes as in-process, recorded as the audio stage's artifact
        from recorder.normalize import extract_speech_audio

        (tmp_path / "local").mkdir()
        extracted = {r["speech"] for r in _results(s3) if r["id"].startswith("speech-")}
        local = {
            hashlib.sha256(extract_speech_audio(f, tmp_path / "local" / f"{f.stem}.wav").read_bytes()).hexdigest()
            for f in sorted(past.iterdir())
        }
        assert extracted == local
        for h in homes:
            assert not (h / "briefing.db").exists()
        for bid in pub:
            st = json.loads(briefing(coord, "status", bid, "--json").stdout)
            tr = next(s for s in st[0]["stages"] if s["stage"] == "transcribe")
            assert tr["status"] == "done" and tr["info"]["segments"] >= 1
            assert next(s for s in st[0]["stages"] if s["stage"] == "audio")["status"] == "done"

        status = json.loads(briefing(coord, "cluster", "status", "--json").stdout)
        assert (status["done"], status["waiting"], status["failed"]) == (6, 0, 0)
        assert len(status["cluster"]["workers"]) == 2 and status["cluster"]["queues"] == {"cpu": 0}
        text = briefing(coord, "cluster", "status")
        assert "workers: 2" in text.stdout and "6 done, 0 running, 0 waiting, 0 failed of 6" in text.stdout
        import re

        rate = re.search(r"throughput (\S+) recordings/hour; about 0h00m left", text.stdout)
        assert rate and len(rate.group(1).replace(".", "")) <= 4, text.stdout  # 277, 12.5: not 276.92

        again = briefing(coord, "backfill", str(past), *BACKFILL, "--json")  # nothing twice
        assert again.returncode == 0, again.stderr[-2000:]
        d2 = json.loads(again.stdout)
        assert (len(d2["registered"]), len(d2["already"]), d2["work"]["done"]) == (0, 6, [])
        assert _check_once(coord, 6, receiver) == pub
    finally:
        for w in workers:
            w.stop()


@pytest.mark.whisper
def test_a_worker_killed_mid_transcription_and_the_broker_restarted_lose_nothing_and_duplicate_nothing(
    tmp_path: Path, speech_dir: Path, redis_server: Redis, s3, receiver
) -> None:  # noqa: F811
    """One run: a worker is SIGKILLed in the middle of a transcription, then the broker is stopped and started
    again while `backfill` waits for that transcription; every briefing is still published and announced once."""
    with _victim_held(tmp_path, speech_dir, redis_server, s3, receiver, 3, visibility="10s") as (
        coord,
        victim,
        other,
        run,
        log,
    ):
        seen = json.loads(briefing(coord, "cluster", "status", "--json").stdout)["cluster"]["workers"]
        held = next(w for w in seen if f"-{victim.proc.pid}@" in w["name"])
        assert held["queues"] == ["cpu"] and held["current"][0]["what"].startswith("transcribe of 2025-03-0")
        os.killpg(victim.proc.pid, signal.SIGKILL)  # no cleanup, no acknowledgement: as a machine lost
        victim.proc.wait(30)
        # its task can only be delivered again through the broker: `backfill` is waiting for it
        redis_server.stop()
        poll(lambda: "is unreachable" in log.read_text(), "the coordinator to say the broker is away")
        assert run.poll() is None  # it waits
        redis_server.start()
        assert run.wait(DEADLINE) == 0, log.read_text()[-3000:]
        assert "broker is back; resuming" in log.read_text()
        # the recordings' progress, one line per recording finished (the log is not a terminal)
        assert [n for n in range(1, 4) if f"recordings  {n}/3" in log.read_text()] == [1, 2, 3]
        _check_once(coord, 3, receiver)
        # the killed worker's task was done again by the other worker, which did all three
        done = [r for r in _results(s3) if r["id"].startswith("transcribe-")]
        assert len(done) == 3 and all(f"briefing-cpu-{other.proc.pid}@" in r["worker"] for r in done), done


@pytest.mark.whisper
def test_a_lost_workers_task_is_sent_again_when_its_heartbeat_stops_not_hours_later(
    tmp_path: Path, speech_dir: Path, redis_server: Redis, s3, receiver
) -> None:  # noqa: F811
    """With the default visibility timeout (6 h), Redis alone would give a killed worker's task back only
    hours later: the coordinator sees the worker's heartbeat stop and sends the task again itself."""
    with _victim_held(tmp_path, speech_dir, redis_server, s3, receiver, 2) as (coord, victim, other, run, log):
        os.killpg(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait(30)
        assert run.wait(DEADLINE) == 0, log.read_text()[-3000:]
        said = [ln for ln in log.read_text().splitlines() if "is gone; sending the task again" in ln]
        assert len(said) == 1 and f"briefing-cpu-{victim.proc.pid}@" in said[0] and "transcribe of" in said[0]
        _check_once(coord, 2, receiver)
        done = [r for r in _results(s3) if r["id"].startswith("transcribe-")]
        assert len(done) == 2 and all(f"briefing-cpu-{other.proc.pid}@" in r["worker"] for r in done), done


def test_a_worker_with_another_model_is_refused(tmp_path: Path, redis_server: Redis, s3, receiver) -> None:  # noqa: F811
    coord, homes = _homes(tmp_path, redis_server, s3, receiver, 1)
    res = briefing(coord, "work")  # the coordinator announces what its tasks ask for
    assert res.returncode == 0, res.stderr
    other = tmp_path / "other-model"
    other.mkdir()
    (other / "model.bin").write_bytes(b"not the coordinator's weights")
    res = briefing(homes[0], "worker", "--queues", "cpu", BRIEFING_TRANSCRIBE_MODEL=str(other), timeout=120)
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert "this worker is refused on queue cpu" in lines[0] and "model weights (SHA-256)" in lines[0]


def test_broker_down_at_start_is_one_clear_line(
    tmp_path: Path,
    redis_server: Redis,
    s3,
    receiver,  # noqa: F811
    speech_dir: Path,
) -> None:
    coord, homes = _homes(tmp_path, redis_server, s3, receiver, 1)
    redis_server.stop()
    past = recordings(speech_dir, tmp_path / "past", 1)
    for home, args in ((coord, ("backfill", str(past), *BACKFILL)), (homes[0], ("worker",))):
        res = briefing(home, *args, timeout=120)
        assert res.returncode == 1, res.stderr
        err = [ln for ln in res.stderr.strip().splitlines() if ln.startswith("error:")]
        assert len(err) == 1 and "Traceback" not in res.stderr, res.stderr
        assert f"cannot reach the cluster broker at redis://127.0.0.1:{redis_server.port}/0" in err[0]
        assert "start redis-server there" in err[0]
    assert [j["status"] for j in jobs(coord)] == ["queued"]  # registered and queued, for when it is back


def test_the_in_process_default_needs_no_broker() -> None:
    code = (
        "import sys, cli; from briefing.recording import worker, backfill; "
        "from briefing.processing import pipeline; assert 'celery' not in sys.modules, 'celery imported'; "
        "assert 'redis' not in sys.modules"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr


def test_the_broker_password_comes_only_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing.cluster import conf
    from briefing.core.config import load_settings
    from briefing.core.errors import ConfigError

    home = tmp_path / "h"
    home.mkdir()
    (home / "briefing.toml").write_text('[cluster]\nbroker = "redis://:hunter2@queue.gov.example:6379/0"\n')
    with pytest.raises(ConfigError, match="holds a password"):
        conf.broker_url(load_settings(home))
    (home / "briefing.toml").write_text('[cluster]\nbroker = "rediss://queue.gov.example:6380/0"\n')
    secret = tmp_path / "pw"
    secret.write_text("s3cr et/+\n")
    monkeypatch.setenv("BRIEFING_CLUSTER_BROKER_PASSWORD_FILE", str(secret))
    s = load_settings(home)
    assert conf.broker_url(s) == "rediss://:s3cr%20et%2F%2B@queue.gov.example:6380/0"
    assert conf.shown_broker(s) == "rediss://queue.gov.example:6380/0"


@pytest.mark.whisper
def test_a_task_that_fails_its_attempts_is_marked_failed_and_the_rest_goes_on(
    tmp_path: Path, speech_dir: Path, redis_server: Redis, s3, receiver
) -> None:  # noqa: F811
    """A backfill from a CSV: an English recording whose speech rots in the storage fails its three attempts;
    the other, Vietnamese, is transcribed and translated on the cluster and published."""
    import hashlib
    import shutil

    client, bucket, _ = s3
    coord, homes = _homes(tmp_path, redis_server, s3, receiver, 1)
    past = tmp_path / "past"
    past.mkdir()
    shutil.copyfile(speech_dir / "en_ljspeech_LJ001-0041.wav", past / "a.wav")
    shutil.copyfile(speech_dir / "vi_cv_23397238.wav", past / "b.wav")
    listing = past / "list.csv"
    listing.write_text(
        "path,title,date,language,speakers\n"
        "a.wav,Press briefing 2025-03-01,2025-03-01,en,\n"
        "b.wav,Press briefing 2025-03-02,2025-03-02,vi,Người phát ngôn\n",
        encoding="utf-8",
    )
    # the first recording rots in the storage (same size, wrong bytes, the right hash label): its speech
    # extraction, the first task it needs, fails on the worker each time
    src = past / "a.wav"
    key = hashlib.sha256(src.read_bytes()).hexdigest()
    client.put_object(
        Bucket=bucket, Key=f"cluster/objects/{key[:2]}/{key}", Body=b"\0" * src.stat().st_size, Metadata={"sha256": key}
    )
    w = Worker(homes[0], "w")
    try:
        w.ready()
        res = briefing(coord, "backfill", str(listing), "--json")
        assert res.returncode == 1
        data = json.loads(res.stdout)
        assert len(data["work"]["done"]) == 1 and len(data["work"]["failed"]) == 1
        bad, good = "2025-03-01-press-briefing-2025-03-01", "2025-03-02-press-briefing-2025-03-02"
        assert data["work"]["failed"][0]["briefing"] == bad
        st = json.loads(briefing(coord, "status", bad, "--json").stdout)[0]
        au = next(s for s in st["stages"] if s["stage"] == "audio")
        assert au["status"] == "failed" and "failed on the cluster (3 attempts at most)" in au["error"]
        assert "speech extraction" in au["error"] and "damaged" in au["error"]
        assert w.text().count(f"object {key[:12]}") >= 3  # tried three times
        assert list(published(coord)) == [good] and receiver.count("press") == 1
        st = json.loads(briefing(coord, "status", good, "--json").stdout)[0]
        assert st["speakers"] == ["Người phát ngôn"] and st["language"] == "vi"
        tl = next(s for s in st["stages"] if s["stage"] == "translate")
        assert tl["status"] == "done" and tl["info"]["from"] == "vi" and tl["info"]["segments"] >= 1
        assert len([r for r in _results(s3) if r["id"].startswith("transcribe-")]) == 2  # recognition, translation
        status = json.loads(briefing(coord, "cluster", "status", "--json").stdout)
        assert (status["done"], status["failed"]) == (1, 1)
    finally:
        w.stop()


@pytest.mark.whisper
def test_one_worker_with_two_processes_transcribes_two_recordings_at_once(
    tmp_path: Path, speech_dir: Path, redis_server: Redis, s3, receiver
) -> None:  # noqa: F811
    """`--concurrency 2` (the prefork pool): each process of the worker is held in the middle of its
    transcription until both are, so two ran at once; `cluster status` shows both; each is published once."""
    coord, homes = _homes(tmp_path, redis_server, s3, receiver, 1)
    go = tmp_path / "go"
    w = Worker(
        homes[0],
        "pool",
        concurrency=2,
        BRIEFING_TEST_PAUSE_AT="cluster:transcribing",
        BRIEFING_TEST_RESUME_FILE=str(go),
    )
    try:
        w.ready()
        past = recordings(speech_dir, tmp_path / "past", 2)
        log = tmp_path / "backfill.log"
        run = spawn(coord, log, "backfill", str(past), *BACKFILL)

        def held() -> set[str]:
            import re

            return set(re.findall(r"paused at cluster:transcribing \(pid (\d+)\)", w.text()))

        pids = poll(lambda: held() if len(held()) == 2 else None, "both processes to be mid-transcription")
        assert str(w.proc.pid) not in pids  # the pool's processes, not the worker's main process
        seen = json.loads(briefing(coord, "cluster", "status", "--json").stdout)["cluster"]["workers"]
        assert len(seen) == 1 and seen[0]["concurrency"] == 2
        assert sorted(c["what"][:20] for c in seen[0]["current"]) == ["transcribe of 2025-0"] * 2
        go.write_text("")
        assert run.wait(DEADLINE) == 0, log.read_text()[-3000:]
        _check_once(coord, 2, receiver)
        assert objects(s3) == []
    finally:
        w.stop()


@pytest.mark.whisper
def test_the_days_recording_is_worked_on_before_a_backfill_already_on_the_cluster(
    tmp_path: Path, speech_dir: Path, redis_server: Redis, s3, receiver
) -> None:  # noqa: F811
    """The tasks of a recording of the day go into the queue ahead of a backfill's (task priorities): with
    everything queued before a worker starts, the worker's first tasks are the day's."""
    import shutil

    coord, homes = _homes(tmp_path, redis_server, s3, receiver, 1)
    past = recordings(speech_dir, tmp_path / "past", 2)
    assert briefing(coord, "backfill", str(past), *BACKFILL, "--queue-only").returncode == 0
    today = tmp_path / "today.wav"
    shutil.copyfile(speech_dir / CLIPS[2], today)
    res = briefing(coord, "ingest", "2026-12-02-daily-briefing", str(today), "--queue")
    assert res.returncode == 0, res.stderr
    log = tmp_path / "work.log"
    run = spawn(coord, log, "work")  # no worker yet: the coordinator queues the window's first tasks
    client = redis_server.client()
    w: Worker | None = None

    def waiting() -> dict[str, list[str]] | None:
        lists = {k.decode(): k for k in client.keys("briefing.cpu.*")}
        got = {name: [json.loads(m)["headers"]["id"] for m in client.lrange(key, 0, -1)] for name, key in lists.items()}
        return got if sum(len(v) for v in got.values()) == 6 else None  # media + speech of each of the 3

    try:
        queued = poll(waiting, "the window's tasks to be queued")
        today_list = next(v for k, v in queued.items() if k.endswith("\x06\x163"))
        backlog = next(v for k, v in queued.items() if k.endswith("\x06\x166"))
        assert len(today_list) == 2 and len(backlog) == 4
        assert json.loads(briefing(coord, "cluster", "status", "--json").stdout)["cluster"]["queues"] == {"cpu": 6}
        w = Worker(homes[0], "w")
        assert run.wait(DEADLINE) == 0, log.read_text()[-3000:]
        import re

        ran = re.findall(r"Task briefing\.\w+\[([\w-]+)\] received", w.text())
        assert set(ran[:2]) == set(today_list), (ran, today_list)
        _check_once(coord, 3, receiver)
    finally:
        if w is not None:
            w.stop()
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
