"""The core every room stands on: settings (config), the error tree, the SQLite store and its migrations,
a briefing's workspace paths and locks, text checks, ids, atomic files, the outbox, and test fault points."""
