FROM nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04 AS cog-system
ENV DEBIAN_FRONTEND=noninteractive PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore NVIDIA_DRIVER_CAPABILITIES=all LD_LIBRARY_PATH=$LD_LIBRARY_PATH:/usr/lib/x86_64-linux-gnu:/usr/local/nvidia/lib64:/usr/local/nvidia/bin
RUN apt-get update -qq \
 && { apt-cache show python3.11 >/dev/null 2>&1 || { echo "cog: this base image offers no python3.11 package; choose another python_version or build without the CUDA base image (--use-cuda-base-image=false)" >&2; exit 1; }; } \
 && apt-get install -qqy --no-install-recommends tini ffmpeg python3.11 python3.11-venv \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["/usr/bin/tini", "--"]
RUN python3.11 -m venv /opt/cog/python
ENV PATH=/opt/cog/python/bin:$PATH
RUN /opt/cog/python/bin/python -c 'import compileall, re, sysconfig; compileall.compile_dir(sysconfig.get_paths()["stdlib"], quiet=2, workers=0, rx=re.compile("/(tests?|idlelib|tkinter|turtledemo|lib2to3|ensurepip|distutils|pydoc_data|site-packages|dist-packages)/"))'
FROM cog-system AS cog-server
COPY cog/runtime/ /tmp/cog-runtime/
RUN /opt/cog/python/bin/python -m venv --without-pip /opt/cog/server \
 && /opt/cog/python/bin/python -m pip install --no-cache-dir --no-deps --no-index --target /opt/cog/server/lib/python3.11/site-packages /tmp/cog-runtime/wheels/*.whl /tmp/cog-runtime/cog_py-0.0.0-py3-none-any.whl \
 && rm -rf /opt/cog/server/lib/python3.11/site-packages/bin
FROM cog-system
COPY cog/requirements.txt /tmp/requirements.txt
RUN /opt/cog/python/bin/python -m pip install --no-cache-dir -r /tmp/requirements.txt
COPY --from=cog-server /opt/cog/server /opt/cog/server
COPY cog/runtime/cog_py-0.0.0-py3-none-any.whl /tmp/cog_py-0.0.0-py3-none-any.whl
RUN /opt/cog/python/bin/python -m pip install --no-cache-dir --no-deps /tmp/cog_py-0.0.0-py3-none-any.whl \
 && rm -f /tmp/cog_py-0.0.0-py3-none-any.whl
ENV COG_SERVER_PYTHON=/opt/cog/server/bin/python COG_WORKER_PYTHON=/opt/cog/python/bin/python
WORKDIR /src
EXPOSE 5000
ENV COG_PREDICT_TYPE_STUB="predict.py:Predictor" COG_GPU="1"
CMD ["/opt/cog/server/bin/python", "-m", "cog_py.server"]
COPY src/ /src/
