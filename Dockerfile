# Production image: gunicorn for the web, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=repm_portal.settings.production

# libpq-dev + gcc: psycopg2 from source; Pango: WeasyPrint; fonts-noto-core: Devanagari letterheads;
# nodejs/npm: front-end assets from the npm registry at build time; gettext: msgfmt for the catalogues.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libpq-dev libpango-1.0-0 libpangoft2-1.0-0 \
        fonts-noto-core nodejs npm gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml package.json package-lock.json ./
RUN pip install --no-cache-dir . && npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN SECRET_KEY=build ALLOWED_HOSTS=build DATABASE_URL=postgresql://build@localhost/build \
    REDIS_URL=redis://localhost BID_SEALING_MASTER_KEY=build \
    AUDIT_CHECKPOINT_KEY_FILE=/nonexistent AUDIT_CHECKPOINT_DIR=/tmp/build-checkpoints \
    sh -c 'python manage.py collectstatic --noinput && python manage.py compilemessages -v 0' \
 && useradd --system --uid 1001 repm && mkdir -p /app/media /app/checkpoints && chown repm /app/media /app/checkpoints
USER repm
EXPOSE 8000
CMD ["gunicorn", "repm_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
