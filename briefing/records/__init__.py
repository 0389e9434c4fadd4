"""The records: archive packages (BagIt, signed, retention) and the search index of published briefings."""
