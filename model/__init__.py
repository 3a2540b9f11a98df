"""The data model, its database session and its migrations."""
