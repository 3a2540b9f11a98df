"""SYNTHETIC demo data and the demo's programme year, told through the real lifecycles."""
