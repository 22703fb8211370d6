"""Settings for extracting translation catalogues into a scratch folder (the catalogue
coverage test): everything as in development, but makemessages writes to $LOCALE_OUT."""

import os

from terminarz.settings.dev import *  # noqa: F403

LOCALE_PATHS = [os.environ["LOCALE_OUT"]]
