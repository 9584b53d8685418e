"""Scenario helpers shared by the tests: one place for each, by domain."""
