"""Storage: the database (SQLite by default, PostgreSQL when shared), its schema and the
repositories the console, the intake service and the command line use."""
