"""Scheduled work: one thin Prefect flow per module; the work itself is in `flows.jobs`."""
