"""Benchmarks and the development data they run on."""
