# Production image: the web app (gunicorn) and the Celery worker/beat share it.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FLASK_APP=shopapp.app:create_app SHOPAPP_ENV=production
WORKDIR /app
# pg_dump/pg_restore for `flask backup` (Debian bookworm's client, version 15 like the postgres:15 service).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY shopapp ./shopapp
COPY worker ./worker
COPY migrations ./migrations
COPY babel.cfg ./
RUN pip install --no-cache-dir . && pybabel compile -d shopapp/translations -f
RUN useradd --create-home shop && mkdir -p /app/instance && chown shop /app/instance
USER shop
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "shopapp.app:create_app()"]
