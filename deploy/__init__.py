"""Deployment: the nginx front and gunicorn settings; serve.py runs them (`make serve`)."""
