-- What the generator needs, as one JSON document: chat's public functions
-- (schema chat, names not starting with "_") with their IN arguments, the
-- fixture's ids (hostile.fx) and the setting keys.
SELECT json_build_object(
    'functions', (
        SELECT json_agg(json_build_object(
                   'name', p.proname,
                   'signature', p.oid::regprocedure::text,
                   'args', (SELECT coalesce(json_agg(json_build_object(
                                        'name', a.n,
                                        'type', format_type(a.t, NULL),
                                        'default', a.k > p.pronargs - p.pronargdefaults)
                                    ORDER BY a.k), '[]')
                              FROM (SELECT u.t, u.n, row_number() OVER (ORDER BY u.i) AS k
                                      FROM unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]),
                                                  coalesce(p.proargnames, array_fill(NULL::text, ARRAY[p.pronargs])),
                                                  coalesce(p.proargmodes, array_fill('i'::"char", ARRAY[p.pronargs])))
                                           WITH ORDINALITY AS u(t, n, m, i)
                                     WHERE u.m IN ('i', 'b', 'v')) a))
               ORDER BY p.proname)
          FROM pg_proc p
         WHERE p.pronamespace = 'chat'::regnamespace
           AND p.proname !~ '^_'
           AND p.prokind = 'f'),
    'fx', (SELECT json_object_agg(name, value) FROM hostile.fx),
    'settings', (SELECT json_agg(key ORDER BY key) FROM chat.settings))
