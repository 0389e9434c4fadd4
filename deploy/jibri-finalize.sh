#!/bin/sh
# Jibri's finalize script (jibri.recording.finalize-script = "/usr/local/bin/jibri-finalize.sh").
# Jibri calls it with one argument, the session directory, and stays BUSY until it exits:
# `briefing jibri-finalize` only queues the directory and returns within a second or two.
BRIEFING_HOME=${BRIEFING_HOME:-/var/lib/briefing} exec /opt/briefing/.venv/bin/briefing --quiet jibri-finalize "$1"
