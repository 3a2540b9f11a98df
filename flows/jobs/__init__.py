"""The deadline and compliance jobs as plain functions of a session and a day.

Nothing under `flows.jobs` imports Prefect: the CLI, the tests and the flows all call
these same functions.
"""
