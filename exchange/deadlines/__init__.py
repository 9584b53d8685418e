"""Deadlines stored on records when their clock starts, and the sweep that reminds and escalates."""
