"""Operations: migrations, gunicorn settings, a throwaway PostgreSQL."""
