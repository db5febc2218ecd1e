"""Alarm notifications: contact points (webhook, SMTP), the outbox they are delivered from, and the notifier."""
