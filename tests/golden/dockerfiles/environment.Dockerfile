FROM python:3.11-slim AS cog-system
ENV DEBIAN_FRONTEND=noninteractive PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
RUN apt-get update -qq \
 && apt-get install -qqy --no-install-recommends tini \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["/usr/bin/tini", "--"]
RUN /usr/local/bin/python -c 'import compileall, re, sysconfig; compileall.compile_dir(sysconfig.get_paths()["stdlib"], quiet=2, workers=0, rx=re.compile("/(tests?|idlelib|tkinter|turtledemo|lib2to3|ensurepip|distutils|pydoc_data|site-packages|dist-packages)/"))'
FROM cog-system AS cog-server
COPY cog/runtime/ /tmp/cog-runtime/
RUN /usr/local/bin/python -m venv --without-pip /opt/cog/server \
 && /usr/local/bin/python -m pip install --no-cache-dir --no-deps --no-index --target /opt/cog/server/lib/python3.11/site-packages /tmp/cog-runtime/wheels/*.whl /tmp/cog-runtime/cog_py-0.0.0-py3-none-any.whl \
 && rm -rf /opt/cog/server/lib/python3.11/site-packages/bin
FROM cog-system
ENV HF_HOME="/src/.hf" GREETING="say \"hi\" for \$5" COG_SETUP_TIMEOUT="10"
COPY cog/requirements.txt /tmp/requirements.txt
RUN /usr/local/bin/python -m pip install --no-cache-dir -r /tmp/requirements.txt
COPY --from=cog-server /opt/cog/server /opt/cog/server
COPY cog/runtime/cog_py-0.0.0-py3-none-any.whl /tmp/cog_py-0.0.0-py3-none-any.whl
RUN /usr/local/bin/python -m pip install --no-cache-dir --no-deps /tmp/cog_py-0.0.0-py3-none-any.whl \
 && rm -f /tmp/cog_py-0.0.0-py3-none-any.whl
ENV COG_SERVER_PYTHON=/opt/cog/server/bin/python COG_WORKER_PYTHON=/usr/local/bin/python
WORKDIR /src
EXPOSE 5000
ENV COG_PREDICT_TYPE_STUB="predict.py:Predictor"
CMD ["/opt/cog/server/bin/python", "-m", "cog_py.server"]
COPY src/ /src/
