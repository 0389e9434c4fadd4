"""Processes as /proc shows them (Linux): the live children of a process, and whether one has ended."""

from __future__ import annotations

from pathlib import Path


def _state_and_ppid(pid: int) -> tuple[str, int] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state, ppid, ...
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    """Not ended. A zombie (ended; its new parent has not reaped it yet) has ended."""
    st = _state_and_ppid(pid)
    return st is not None and st[0] != "Z"


def children(pid: int) -> list[tuple[int, list[str]]]:
    """The live children of ``pid``: (pid, argv)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        st = _state_and_ppid(int(d.name))
        if st is None or st[1] != pid or st[0] == "Z":
            continue
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        out.append((int(d.name), [a.decode("utf-8", "replace") for a in argv if a]))
    return out
