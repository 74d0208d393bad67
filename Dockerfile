# Two images from one file: `importer` (the importer's whole CLI: push --max-tasks, export --crops
# and simulate score crops with the backend's model, so it holds ml_backend/ too) and, the default, the ML backend
# with only what it runs (ml_backend/ and the shared studio/, imaging/, storage/, settings/, cluster/).
FROM python:3.11-slim AS base
WORKDIR /app
COPY requirements-torch.txt pyproject.toml README.md ./
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu -r requirements-torch.txt
COPY settings settings
COPY storage storage
COPY imaging imaging
COPY studio studio
COPY cluster cluster

FROM base AS importer
COPY importer importer
COPY export export
COPY stack stack
COPY benchmarks benchmarks
COPY waves waves
COPY ml_backend ml_backend
RUN pip install --no-cache-dir .
ENTRYPOINT ["python", "-m", "importer"]

FROM base AS backend
COPY ml_backend ml_backend
RUN pip install --no-cache-dir .
ENV PORT=9090 MODEL_DIR=/data/models
EXPOSE 9090
CMD ["sh", "-c", "gunicorn --bind 0.0.0.0:${PORT} --workers 1 --threads 8 --timeout 120 ml_backend.server:app"]
