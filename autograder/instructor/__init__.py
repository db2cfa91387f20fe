"""Instructor-only: the reference, the hidden checks, and the grading tools. Never released to students."""
