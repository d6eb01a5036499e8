"""Exports of the tracker as CSV: row shaping (rows.py) and the data package."""
