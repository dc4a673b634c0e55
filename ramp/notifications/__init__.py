"""Notifications: an outbox of messages about what happened (a hire at risk, a refresher
assigned, a certificate issued...), sent by e-mail, Slack and Teams, with each user's
preferences and daily and weekly digests. See docs/notifications.md."""
