"""Departments, users, roles and API tokens."""
