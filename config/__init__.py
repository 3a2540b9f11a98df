"""Deployment settings (read from the environment when asked) and the clock."""
