"""Media in, media out: probe, normalize, capture, Jibri. Knows nothing of briefings."""
