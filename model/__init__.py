"""Storage: every table, the database session, the migrations and the reference rows."""
