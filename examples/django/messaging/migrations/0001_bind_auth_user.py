"""chat's side of the schema: the extension (installed by a DBA), a display-name function and the
binding of chat's user ids to django.contrib.auth's auth_user.

Runs as django_owner, which is not a superuser: CREATE EXTENSION chat needs one (chat.control has
superuser = true), so a DBA has created it already and the migration only checks that; the DBA also made
django_owner a chat server role (use_user_table refuses other roles).
"""
from django.db import migrations

from messaging import chat

# CREATE EXTENSION IF NOT EXISTS, but asked of pg_extension first: on a Citus coordinator the
# statement fails for a role that does not own chat even when chat is there (README "Running on
# Citus").
CREATE_EXTENSION = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'chat') THEN
        CREATE EXTENSION chat;
    END IF;
END
$$;
"""

CHECK_SERVER_ROLE = """
DO $$
BEGIN
    IF NOT chat.is_server_role() THEN
        RAISE EXCEPTION 'role "%" is not a chat server role in database "%"', current_user, current_database()
            USING HINT = format('As a superuser: SELECT chat.set_setting(''server_roles'', ''["%s"]'');', current_user);
    END IF;
END
$$;
"""

# The name auth_user gives a user, for system messages ("Alice added Bob"), events' user_name and
# chat.member_view / chat.message_view. SECURITY DEFINER with a pinned search_path: it works whoever
# calls chat (the README's recipe). Its argument has chat.user_id's base type.
DISPLAY_NAME = """
CREATE FUNCTION public.chat_user_name(id {type}) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        SELECT coalesce(nullif(btrim(u.first_name || ' ' || u.last_name), ''), u.username)
          FROM public.auth_user u WHERE u.id = chat_user_name.id;
    END
"""


def create_display_name(apps, schema_editor):
    schema_editor.execute(DISPLAY_NAME.format(type=chat.user_id_type()))


def drop_display_name(apps, schema_editor):
    schema_editor.execute('DROP FUNCTION public.chat_user_name(%s)' % chat.user_id_type())


def bind(apps, schema_editor):
    chat.bind_auth_user()


def unbind(apps, schema_editor):
    schema_editor.execute('SELECT chat.use_user_table(NULL)')


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.RunSQL(CREATE_EXTENSION, migrations.RunSQL.noop),
        migrations.RunSQL(CHECK_SERVER_ROLE, migrations.RunSQL.noop),
        migrations.RunPython(create_display_name, drop_display_name),
        migrations.RunPython(bind, unbind),
    ]
