"""The `ledger` command line: thin commands over the ledger and its read models."""
