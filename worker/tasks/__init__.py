"""Celery tasks: thin like web views. Payload in → validate → call a service → store → publish → small dict out."""
