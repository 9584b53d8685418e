"""The platform's core: settings, database, identity, working-day clock, workflows, audit log."""
