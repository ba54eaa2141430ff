import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from finres.core.library import LibraryPathError, library_path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "finres.web.settings.dev")
try:
    # The web application reads the same library as the command line: refuse to start with a
    # folder that cannot be read, rather than serve a library that differs from the CLI's.
    library_path()
except LibraryPathError as error:
    raise ImproperlyConfigured(str(error)) from None
application = get_wsgi_application()
