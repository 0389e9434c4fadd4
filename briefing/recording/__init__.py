"""Recording: Jibri and live capture of a briefing (record), the job queue and its worker (worker), and the
daily run that schedules, records and processes (daily)."""
