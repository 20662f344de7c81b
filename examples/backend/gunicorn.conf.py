# gunicorn reads ./gunicorn.conf.py from the working directory (/app).
bind = "0.0.0.0:8000"
workers = 2
accesslog = "-"
