"""Webhook payloads of delivery tools -> model objects (pure functions, no I/O)."""
