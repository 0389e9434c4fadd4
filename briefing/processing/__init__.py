"""Processing: the stage runner and its stages, speech recognition choices (speech), web media decisions
(media), live transcription of a capture (live), review and corrections of a transcript."""
