"""Heaps larger than one project: which crops a task budget pushes first, and model labels for the crops never pushed."""
