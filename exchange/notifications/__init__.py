"""The in-platform inbox per user, and an e-mail outbox delivered at least once."""
