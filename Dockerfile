FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
# The PDF reports and QR posters embed a CJK TrueType font (shijiao/pdf.py).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei && rm -rf /var/lib/apt/lists/*
COPY requirements.txt requirements-face.txt ./
RUN pip install --no-cache-dir -r requirements.txt \
 && pip install --no-cache-dir --no-deps -r requirements-face.txt
COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput -v 0
EXPOSE 8000
CMD ["uvicorn", "shijiao.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
