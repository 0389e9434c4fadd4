"""Named points where tests act on a running process, deterministically. ``BRIEFING_FAULT=<point>``
ends the process at a fault point (the crash tests); ``BRIEFING_TEST_PAUSE_AT=<name>`` holds it at a
checkpoint until a line arrives on stdin, or until the file ``BRIEFING_TEST_RESUME_FILE`` names exists
(:func:`checkpoint`: the lock and busy tests; the file for pool processes, whose stdin is closed).


The process ends at once, with ``os._exit`` (no cleanup, no ``finally``, no atexit: as ``kill -9`` would),
with exit status :data:`EXIT_STATUS`. ``<point>`` is a point's name or an ``fnmatch`` pattern
(``publish:copy:*``); ``<point>@<n>`` ends it at the n-th point that matches (counted from 1 in this
process). Without the variable a fault point does nothing.

Points: ``after:<stage>`` once a stage is recorded as done (ingest, audio, video, transcribe, summarize,
redact, publish, translate; ``after:correct`` once a correction's files are the transcript's); inside
the site's publish step ``publish:copy:<file>`` before each file is placed in the new directory,
``publish:built`` (every file placed, nothing signed), ``publish:finalized`` (signed, not switched in),
``publish:switched`` (switched in, not recorded in the store); then ``distribute:recorded`` (the store
has it, no target copied), ``target:<name>:<file>`` before each file a target receives, and
``distribute:targets`` (every target done, nothing announced).
"""

from __future__ import annotations

import fnmatch
import os
import sys
import time

ENV = "BRIEFING_FAULT"
PAUSE_ENV = "BRIEFING_TEST_PAUSE_AT"  # tests: stop at a named point until a line arrives on stdin
RESUME_ENV = "BRIEFING_TEST_RESUME_FILE"  # ... or, when set, until this file exists
EXIT_STATUS = 86
_hits: dict[str, int] = {}


def fault_point(name: str) -> None:
    """End the process here when ``BRIEFING_FAULT`` names this point (see the module's docstring)."""
    want = os.environ.get(ENV)
    if not want:
        return
    pattern, _, nth = want.partition("@")
    if not fnmatch.fnmatchcase(name, pattern):
        return
    _hits[want] = _hits.get(want, 0) + 1
    if nth and _hits[want] != int(nth):
        return
    sys.stderr.write(f"fault point {name}: ending the process\n")
    sys.stderr.flush()
    os._exit(EXIT_STATUS)


def checkpoint(name: str) -> None:
    """A named point where a test can hold this process (``BRIEFING_TEST_PAUSE_AT=name``): it says
    ``paused at NAME (pid N)`` on stderr and waits for a line on stdin, or with ``BRIEFING_TEST_RESUME_FILE``
    until that file exists (a process of a worker's pool has no stdin). Deterministic, no timing."""
    if os.environ.get(PAUSE_ENV) != name:
        return
    sys.stderr.write(f"paused at {name} (pid {os.getpid()})\n")
    sys.stderr.flush()
    resume = os.environ.get(RESUME_ENV)
    if not resume:
        sys.stdin.readline()
        return
    while not os.path.exists(resume):
        time.sleep(0.05)  # a poll for the test's file, not a wait for time
