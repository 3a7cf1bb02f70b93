# One image for the four services; docker-compose picks the service with `zhiban serve <name>`.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends fonts-arphic-uming curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml requirements.lock ./
COPY shared ./shared
COPY services ./services
RUN pip install --no-cache-dir -c requirements.lock . && useradd --system --home /app zhiban
USER zhiban
EXPOSE 8001 8002 8003 8004
CMD ["zhiban", "--help"]
