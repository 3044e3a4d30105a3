"""Settings of the example project: a Django 3.2 site whose messaging is chat, in PostgreSQL.

Everything that differs between machines comes from the environment (run-tests.sh sets it).
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get('DJANGO_SECRET_KEY', 'example-only-not-secret')
DEBUG = os.environ.get('DJANGO_DEBUG', '') == '1'
ALLOWED_HOSTS = ['localhost', '127.0.0.1', 'testserver']

INSTALLED_APPS = [
    'django.contrib.contenttypes',
    'django.contrib.auth',
    'django.contrib.sessions',
    'messaging',
]

MIDDLEWARE = [
    'django.middleware.security.SecurityMiddleware',
    'django.contrib.sessions.middleware.SessionMiddleware',
    'django.middleware.common.CommonMiddleware',
    'django.middleware.csrf.CsrfViewMiddleware',
    'django.contrib.auth.middleware.AuthenticationMiddleware',
]

ROOT_URLCONF = 'chatsite.urls'
WSGI_APPLICATION = 'chatsite.wsgi.application'
TEMPLATES = []

# Django connects as a role that is NOT a superuser: django_owner (LOGIN CREATEDB), which a DBA made a
# chat server role (chat.set_setting('server_roles', '["django_owner"]') in every database of the site).
# A server role acts for any user: the views pass the signed-in user to every chat call.
DATABASES = {
    'default': {
        'ENGINE': 'django.db.backends.postgresql',
        'NAME': os.environ.get('DJANGO_DB_NAME', 'chatsite'),
        'USER': os.environ.get('DJANGO_DB_USER', 'django_owner'),
        'PASSWORD': os.environ.get('DJANGO_DB_PASSWORD', ''),
        'HOST': os.environ.get('DJANGO_DB_HOST', ''),
        'PORT': os.environ.get('DJANGO_DB_PORT', ''),
        # One transaction per request; every chat call runs in a savepoint of it (messaging/chat.py), so a
        # refusal (a non-member posting...) does not abort the rest of the request.
        'ATOMIC_REQUESTS': True,
        'TEST': {
            'NAME': os.environ.get('DJANGO_TEST_DB_NAME', 'test_chatsite'),
            # CREATE EXTENSION chat needs a superuser (chat.control: superuser = true). A DBA prepares this
            # database once, marked IS_TEMPLATE, with chat installed and django_owner in server_roles; the
            # test runner (as django_owner, CREATEDB) copies it instead of template1.
            'TEMPLATE': os.environ.get('DJANGO_TEST_TEMPLATE', 'chat_template'),
        },
    },
}

# What deleting a django.contrib.auth user does to their chat data (chat.use_user_table's on_delete):
# 'anonymize' keeps their messages with a NULL sender, 'cascade' deletes them, 'restrict' refuses.
CHAT_USER_ON_DELETE = os.environ.get('CHAT_USER_ON_DELETE', 'anonymize')

AUTH_PASSWORD_VALIDATORS = []
PASSWORD_HASHERS = ['django.contrib.auth.hashers.MD5PasswordHasher']  # fast tests; use the default in production

LANGUAGE_CODE = 'en-us'
TIME_ZONE = 'UTC'
USE_I18N = False
USE_L10N = False
USE_TZ = True

DEFAULT_AUTO_FIELD = 'django.db.models.AutoField'

LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'handlers': {'console': {'class': 'logging.StreamHandler'}},
    'loggers': {'django.request': {'handlers': ['console'], 'level': 'ERROR'}},
}
