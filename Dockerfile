# The ML backend (and the importer's CLI) in one image.
FROM python:3.11-slim
WORKDIR /app
COPY requirements-torch.txt pyproject.toml README.md ./
COPY importer importer
COPY ml_backend ml_backend
COPY benchmarks benchmarks
RUN pip install --no-cache-dir -r requirements-torch.txt && pip install --no-cache-dir .
ENV PORT=9090 MODEL_DIR=/data/models
EXPOSE 9090
CMD ["sh", "-c", "gunicorn --bind 0.0.0.0:${PORT} --workers 1 --threads 8 --timeout 120 ml_backend.server:app"]
