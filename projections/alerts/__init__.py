"""Alerts: the serious case review's lessons as rules over every offender's events."""
