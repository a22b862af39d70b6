"""Hotline: call triage for election results hotlines."""
