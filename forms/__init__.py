"""Official documents generated from the data, and how values are shown to people."""
