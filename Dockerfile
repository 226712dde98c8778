# The podmortem image (for `podmortem watch` in deploy/watch, and every other command).
# Our development machines have no registry to push to and cannot build it; build and push it
# from CI or a workstation:  docker build -t REGISTRY/podmortem:0.1.0 . && docker push ...
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
COPY --from=build /install /usr/local
# kubectl is not needed by `watch`; `lint -k` and the plugin form need it on PATH.
USER 65532:65532
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
EXPOSE 8080
ENTRYPOINT ["podmortem"]
CMD ["watch", "--all-namespaces", "--metrics-addr=0.0.0.0:8080"]
