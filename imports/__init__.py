"""Importers of the lists people send (CSV or XLSX): schools, products, per-school figures."""
