# Production image: the web app (gunicorn) and the Celery worker/beat share it. The app is installed as a
# wheel (templates, static files, translations, data and migrations inside) over the locked dependencies.
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
# A current pip: an older one (23.x) takes `fonttools[woff]`, which WeasyPrint asks for, as a second,
# unpinned requirement and refuses the hashed lock once a newer fonttools is out.
RUN pip install --no-cache-dir --upgrade pip \
    && pip install --no-cache-dir --require-hashes -r requirements.lock \
    && pybabel compile -d shopapp/translations -f \
    && pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 FLASK_APP=shopapp.app:create_app SHOPAPP_ENV=production
WORKDIR /app
# pg_dump/pg_restore for `flask backup` (Debian bookworm's client, version 15 like the postgres:15 service);
# Pango (with HarfBuzz and fontconfig) and a font for WeasyPrint's PDF invoices.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock ./
RUN pip install --no-cache-dir --upgrade pip && pip install --no-cache-dir --require-hashes -r requirements.lock
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/*.whl && rm -rf /wheels
RUN useradd --create-home shop && mkdir -p /app/instance && chown shop /app/instance
USER shop
EXPOSE 8000
# Four sync workers for two cores, the app loaded once before they fork (README, "Web workers"): gunicorn
# reads WEB_CONCURRENCY; give it two per core of the server.
ENV WEB_CONCURRENCY=4
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--preload", "--access-logfile", "-", "shopapp.app:create_app()"]
