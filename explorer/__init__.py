"""The public explorer: the tracker's records as web pages for readers."""
