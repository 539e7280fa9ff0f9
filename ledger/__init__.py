"""The ledger's application service: commands, persistence, integrity and access."""
