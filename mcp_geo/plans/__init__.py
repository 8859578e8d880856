"""The Plan: the typed result of a solve, its metrics and its files (write and read)."""
