"""The review domain: applications, review sessions, decisions, the bank's rules and the questionnaire.

Pure Python: no Qt, no media, no database. Everything else builds on this package.
"""
