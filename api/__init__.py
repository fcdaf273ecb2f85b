"""The HTTP API: thin Flask app that validates, authenticates, rate-limits and queues work by task name."""
