"""Read models: the event log turned into tables that answer reviewers' questions."""
