-- The binding, run by src/migrate.js after sql/schema.sql, in a transaction of its own: on a Citus
-- coordinator chat.use_user_table makes app.app_user a reference table, which the workers can see
-- only once the schema's transaction has committed (README "Running on Citus"). Idempotent.
-- Bind chat to the users table: chat refuses unknown user ids (23503), and deleting a user deletes
-- their memberships and keeps their messages with a NULL sender ('anonymize').
SELECT chat.use_user_table('app.app_user', 'id', 'anonymize', 'app.user_name(bigint)');
