"""Hubble flows from snapshot files and Hubble Relay: sources, filters, aggregations, policy attribution."""
