"""The application: settings, store, stage runner and the domain of the daily briefing (see README, Layout)."""
