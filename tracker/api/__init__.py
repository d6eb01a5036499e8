"""The tracker's REST API under /api/v1/: read, filter, sync and write every record."""
