"""The `jingjin` command line."""
