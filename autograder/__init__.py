"""Checks for the course's exercises: what learners call from their notebooks."""
