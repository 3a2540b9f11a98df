"""Mail: pure rendering, the outbox, and delivery over SMTP."""
