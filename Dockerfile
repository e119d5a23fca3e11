FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir -e . \
 && DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput --settings=config.settings.production
RUN useradd --system --uid 1000 ascend && chown -R ascend /app
USER ascend
EXPOSE 8000
