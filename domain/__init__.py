"""The offender timeline's domain: aggregates, events, values and rules. Pure: no I/O."""
