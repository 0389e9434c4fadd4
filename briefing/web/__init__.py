"""The review desk (``briefing review serve``): press officers check, correct and publish a transcript in
the browser. ``app`` is the Flask application, ``server`` starts it on waitress, ``drafts`` holds the data
it works on (the pending correction of ``briefing correct``), ``accounts`` who may do what."""
