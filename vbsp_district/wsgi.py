import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vbsp_district.settings.production")
application = get_wsgi_application()
