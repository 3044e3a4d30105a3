-- chat_is_emoji: exactly one emoji (UTS #51 sequences), validated in C
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS chat CASCADE;
CREATE EXTENSION chat;
\set VERBOSITY terse

-- The C function, declared here until the extension declares chat._is_emoji.
CREATE FUNCTION pg_temp.is_emoji(text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT AS '$libdir/chat', 'chat_is_emoji';

-- A value as its code points, so that a failure names exactly what failed.
CREATE FUNCTION pg_temp.code_points(value text) RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN (SELECT coalesce(string_agg('U+' || upper(to_hex(ascii(c))), ' ' ORDER BY n), '(empty)')
            FROM regexp_split_to_table(nullif(value, ''), '') WITH ORDINALITY AS t(c, n));

CREATE TEMP TABLE emoji_case (label text PRIMARY KEY, value text NOT NULL, expected boolean NOT NULL);

-- one emoji each
INSERT INTO emoji_case VALUES
    ('thumbs up',                           U&'\+01F44D', true),
    ('grinning face',                       U&'\+01F600', true),
    ('red heart, text default, bare',       U&'\2764', true),
    ('red heart with FE0F',                 U&'\2764\FE0F', true),
    ('copyright, bare',                     U&'\00A9', true),
    ('copyright with FE0F',                 U&'\00A9\FE0F', true),
    ('trade mark, bare',                    U&'\2122', true),
    ('double exclamation with FE0F',        U&'\203C\FE0F', true),
    ('snowman with FE0F',                   U&'\2603\FE0F', true),
    ('thumbs up with redundant FE0F',       U&'\+01F44D\FE0F', true),
    ('mahjong red dragon',                  U&'\+01F004', true),
    ('A button with FE0F',                  U&'\+01F170\FE0F', true),
    ('circled ideograph secret',            U&'\3299\FE0F', true),
    ('keycap ten (one code point)',         U&'\+01F51F', true),
    ('red hair component alone',            U&'\+01F9B0', true),
    ('shaking face (15.0)',                 U&'\+01FAE8', true),
    ('face with bags under eyes (16.0)',    U&'\+01FAE9', true),
    ('fingerprint (16.0)',                  U&'\+01FAC6', true),
    ('splatter (16.0)',                     U&'\+01FADF', true),
    ('hairy creature (17.0, reserved)',     U&'\+01FAC8', true),
    ('orca (17.0, reserved)',               U&'\+01FACD', true),
    -- emoji modifier sequences
    ('thumbs up medium skin tone',          U&'\+01F44D\+01F3FD', true),
    ('waving hand dark skin tone',          U&'\+01F44B\+01F3FF', true),
    ('person light skin tone',              U&'\+01F9D1\+01F3FB', true),
    ('index pointing up (text base) tone',  U&'\261D\+01F3FB', true),
    ('victory hand medium-dark',            U&'\270C\+01F3FE', true),
    ('crossed fingers heart (14.0) tone',   U&'\+01FAF0\+01F3FC', true),
    ('people with bunny ears tone (17.0)',  U&'\+01F46F\+01F3FB', true),
    -- flags
    ('flag France',                         U&'\+01F1EB\+01F1F7', true),
    ('flag Germany',                        U&'\+01F1E9\+01F1EA', true),
    ('flag Japan',                          U&'\+01F1EF\+01F1F5', true),
    ('flag United States',                  U&'\+01F1FA\+01F1F8', true),
    ('flag European Union',                 U&'\+01F1EA\+01F1FA', true),
    ('flag United Nations',                 U&'\+01F1FA\+01F1F3', true),
    ('flag Sark (16.0)',                    U&'\+01F1E8\+01F1F6', true),
    -- subdivision flags (tag sequences)
    ('flag England',                        U&'\+01F3F4\+0E0067\+0E0062\+0E0065\+0E006E\+0E0067\+0E007F', true),
    ('flag Scotland',                       U&'\+01F3F4\+0E0067\+0E0062\+0E0073\+0E0063\+0E0074\+0E007F', true),
    ('flag Wales',                          U&'\+01F3F4\+0E0067\+0E0062\+0E0077\+0E006C\+0E0073\+0E007F', true),
    ('flag Texas (valid, not RGI)',         U&'\+01F3F4\+0E0075\+0E0073\+0E0074\+0E0078\+0E007F', true),
    -- keycaps
    ('keycap #',                            U&'\0023\FE0F\20E3', true),
    ('keycap *',                            U&'\002A\FE0F\20E3', true),
    ('keycap 0',                            U&'\0030\FE0F\20E3', true),
    ('keycap 9',                            U&'\0039\FE0F\20E3', true),
    ('keycap 1 without FE0F',               U&'\0031\20E3', true),
    -- ZWJ sequences
    ('family man woman girl boy',           U&'\+01F468\200D\+01F469\200D\+01F467\200D\+01F466', true),
    ('rainbow flag',                        U&'\+01F3F3\FE0F\200D\+01F308', true),
    ('rainbow flag without FE0F',           U&'\+01F3F3\200D\+01F308', true),
    ('transgender flag',                    U&'\+01F3F3\FE0F\200D\26A7\FE0F', true),
    ('pirate flag',                         U&'\+01F3F4\200D\2620\FE0F', true),
    ('woman technologist medium tone',      U&'\+01F469\+01F3FD\200D\+01F4BB', true),
    ('people holding hands',                U&'\+01F9D1\200D\+01F91D\200D\+01F9D1', true),
    ('people holding hands, two tones',     U&'\+01F9D1\+01F3FB\200D\+01F91D\200D\+01F9D1\+01F3FF', true),
    ('handshake, light and dark',           U&'\+01FAF1\+01F3FB\200D\+01FAF2\+01F3FF', true),
    ('heart on fire',                       U&'\2764\FE0F\200D\+01F525', true),
    ('eye in speech bubble',                U&'\+01F441\FE0F\200D\+01F5E8\FE0F', true),
    ('head shaking horizontally (15.1)',    U&'\+01F642\200D\2194\FE0F', true),
    ('phoenix (15.1)',                      U&'\+01F426\200D\+01F525', true),
    ('lime (15.1)',                         U&'\+01F34B\200D\+01F7E9', true),
    ('broken chain (15.1)',                 U&'\26D3\FE0F\200D\+01F4A5', true),
    ('family adult adult child (15.1)',     U&'\+01F9D1\200D\+01F9D1\200D\+01F9D2', true),
    ('woman running facing right (15.1)',   U&'\+01F3C3\200D\2640\FE0F\200D\27A1\FE0F', true),
    ('person with cane facing right tone',  U&'\+01F9D1\+01F3FE\200D\+01F9AF\200D\27A1\FE0F', true),
    ('polar bear',                          U&'\+01F43B\200D\2744\FE0F', true),
    ('black cat',                           U&'\+01F408\200D\2B1B', true),
    ('man red hair',                        U&'\+01F468\200D\+01F9B0', true),
    ('face in clouds',                      U&'\+01F636\200D\+01F32B\FE0F', true),
    ('health worker',                       U&'\+01F9D1\200D\2695\FE0F', true),
    ('service dog',                         U&'\+01F415\200D\+01F9BA', true),
    ('kiss woman man, two tones',           U&'\+01F469\+01F3FB\200D\2764\FE0F\200D\+01F48B\200D\+01F468\+01F3FC', true),
    ('couple with heart, two tones',        U&'\+01F9D1\+01F3FF\200D\2764\FE0F\200D\+01F9D1\+01F3FB', true),
    ('ballet dancers (17.0)',               U&'\+01F9D1\200D\+01FA70', true),
    ('people wrestling tones (17.0)',       U&'\+01F9D1\+01F3FB\200D\+01FAEF\200D\+01F9D1\+01F3FC', true),
    ('well-formed ZWJ, not RGI',            U&'\+01F44D\200D\+01F525', true);

-- near misses
INSERT INTO emoji_case VALUES
    ('empty',                               '', false),
    ('letter',                              'a', false),
    ('word',                                'ok', false),
    ('digit',                               '1', false),
    ('number sign',                         '#', false),
    ('asterisk',                            '*', false),
    ('space',                               ' ', false),
    ('accented letter',                     U&'\00E9', false),
    ('CJK ideograph',                       U&'\4E2D', false),
    ('private use',                         U&'\E000', false),
    ('black star: pictograph, not emoji',   U&'\2605', false),
    ('two emoji',                           U&'\+01F44D\+01F44D', false),
    ('two flags France Germany',            U&'\+01F1EB\+01F1F7\+01F1E9\+01F1EA', false),
    ('three regional indicators',           U&'\+01F1EB\+01F1F7\+01F1E9', false),
    ('lone regional indicator',             U&'\+01F1EB', false),
    ('flag of no region ZZ',                U&'\+01F1FF\+01F1FF', false),
    ('flags joined by ZWJ',                 U&'\+01F1EB\+01F1F7\200D\+01F1E9\+01F1EA', false),
    ('lone skin tone',                      U&'\+01F3FB', false),
    ('skin tone before its base',           U&'\+01F3FB\+01F44D', false),
    ('skin tone after pizza',               U&'\+01F355\+01F3FB', false),
    ('skin tone after a letter',            U&'a\+01F3FB', false),
    ('two skin tones',                      U&'\+01F44D\+01F3FB\+01F3FC', false),
    ('skin tone then FE0F',                 U&'\+01F44D\+01F3FB\FE0F', false),
    ('FE0F then skin tone',                 U&'\+01F44D\FE0F\+01F3FB', false),
    ('skin tone after ZWJ',                 U&'\+01F468\200D\+01F3FB', false),
    ('lone ZWJ',                            U&'\200D', false),
    ('ZWJ first',                           U&'\200D\+01F44D', false),
    ('ZWJ last',                            U&'\+01F44D\200D', false),
    ('two ZWJ in a row',                    U&'\+01F468\200D\200D\+01F469', false),
    ('lone FE0F',                           U&'\FE0F', false),
    ('FE0F twice',                          U&'\+01F44D\FE0F\FE0F', false),
    ('FE0E: text presentation',             U&'\2764\FE0E', false),
    ('keycap base with FE0F, no 20E3',      U&'\0031\FE0F', false),
    ('keycap 20E3 before FE0F',             U&'\0031\20E3\FE0F', false),
    ('keycap of a letter',                  U&'A\FE0F\20E3', false),
    ('two keycaps',                         U&'\0031\FE0F\20E3\0032\FE0F\20E3', false),
    ('keycap joined by ZWJ',                U&'\0023\FE0F\20E3\200D\+01F44D', false),
    ('lone 20E3',                           U&'\20E3', false),
    ('subdivision without TAG CANCEL',      U&'\+01F3F4\+0E0067\+0E0062\+0E0065\+0E006E\+0E0067', false),
    ('subdivision on thumbs up',            U&'\+01F44D\+0E0067\+0E0062\+0E0065\+0E006E\+0E0067\+0E007F', false),
    ('subdivision after FE0F',              U&'\+01F3F4\FE0F\+0E0067\+0E0062\+0E0065\+0E006E\+0E0067\+0E007F', false),
    ('subdivision in capital tags',         U&'\+01F3F4\+0E0047\+0E0042\+0E0045\+0E004E\+0E0047\+0E007F', false),
    ('subdivision of no region zz',         U&'\+01F3F4\+0E007A\+0E007A\+0E0061\+0E0062\+0E007F', false),
    ('subdivision suffix of five',          U&'\+01F3F4\+0E0067\+0E0062\+0E0061\+0E0062\+0E0063\+0E0064\+0E0065\+0E007F', false),
    ('subdivision without suffix',          U&'\+01F3F4\+0E0067\+0E0062\+0E007F', false),
    ('subdivision with TAG SPACE',          U&'\+01F3F4\+0E0020\+0E007F', false),
    ('lone TAG CANCEL',                     U&'\+0E007F', false),
    ('emoji then letter',                   U&'\+01F44Da', false),
    ('letter then emoji',                   U&'a\+01F44D', false),
    ('leading space',                       U&' \+01F44D', false),
    ('trailing space',                      U&'\+01F44D ', false),
    ('trailing newline',                    U&'\+01F44D' || E'\n', false),
    ('emoji with combining acute',          U&'\+01F44D\0301', false),
    ('ZWJ to a letter',                     U&'\+01F468\200Da', false),
    ('ZWJ to a black star',                 U&'\+01F468\200D\2605', false);

-- mismatches only: none is a pass
SELECT label, pg_temp.code_points(value) AS sequence, expected, pg_temp.is_emoji(value) AS got
FROM emoji_case
WHERE pg_temp.is_emoji(value) IS DISTINCT FROM expected
ORDER BY label;

SELECT expected, count(*) FILTER (WHERE pg_temp.is_emoji(value) = expected) AS passed, count(*) AS cases
FROM emoji_case GROUP BY expected ORDER BY expected;

-- the declared SQL function, once the extension has it, answers the same
SELECT to_regprocedure('chat._is_emoji(text)') IS NOT NULL AS declared \gset
\if :declared
SELECT count(*) FILTER (WHERE chat._is_emoji(value) IS DISTINCT FROM expected) AS declared_mismatches
FROM emoji_case \gset
\else
SELECT 0 AS declared_mismatches \gset
\endif
SELECT :declared_mismatches AS declared_mismatches;

-- NULL in, NULL out (STRICT); long input
SELECT pg_temp.is_emoji(NULL) IS NULL AS strict_null;
SELECT pg_temp.is_emoji(repeat(U&'\+01F44D\200D', 10000) || U&'\+01F44D') AS long_zwj_chain,
       pg_temp.is_emoji(repeat('x', 100000)) AS long_text;

-- random strings of emoji parts and other code points: no crash, and no
-- value with a part in the wrong place passes
SELECT count(*) AS random_values,
       count(*) FILTER (WHERE pg_temp.is_emoji(s) AND (s ~ U&'^[\200D\FE0F\20E3\+01F3FB]'
                                                         OR s ~ U&'[\200D]$')) AS bad_passes
FROM (SELECT g, string_agg(CASE WHEN random() < 0.7
                                THEN (ARRAY[U&'\+01F44D', U&'\200D', U&'\FE0F', U&'\+01F3FB',
                                            U&'\+01F1EB', U&'\+01F1F7', U&'\20E3', '1', U&'\+0E0067',
                                            U&'\+0E0062', U&'\+0E007F', U&'\+01F3F4', U&'\2764',
                                            U&'\FE0E', 'a'])[1 + (random() * 15)::int % 15]
                                ELSE chr(1 + (random() * 1114110)::int % 55295) END, '') AS s
      FROM generate_series(1, 5000) AS g, generate_series(1, 4) AS k
      GROUP BY g) AS r;

-- databases not in UTF-8: the value is converted (LATIN1), or read as UTF-8 (SQL_ASCII)
SELECT current_database() AS regress_db \gset
DROP DATABASE IF EXISTS emoji_regress_latin1;
DROP DATABASE IF EXISTS emoji_regress_sql_ascii;
CREATE DATABASE emoji_regress_latin1 ENCODING 'LATIN1' LOCALE 'C' TEMPLATE template0;
CREATE DATABASE emoji_regress_sql_ascii ENCODING 'SQL_ASCII' LOCALE 'C' TEMPLATE template0;
\c emoji_regress_latin1
CREATE FUNCTION pg_temp.is_emoji(text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT AS '$libdir/chat', 'chat_is_emoji';
SELECT pg_temp.is_emoji(U&'\00A9') AS latin1_copyright,
       pg_temp.is_emoji(U&'\00E9') AS latin1_e_acute,
       pg_temp.is_emoji('1') AS latin1_digit;
\c emoji_regress_sql_ascii
CREATE FUNCTION pg_temp.is_emoji(text) RETURNS boolean
    LANGUAGE c IMMUTABLE STRICT AS '$libdir/chat', 'chat_is_emoji';
SELECT pg_temp.is_emoji(convert_from('\xf09f918d'::bytea, 'SQL_ASCII')) AS ascii_thumbs_up,
       pg_temp.is_emoji(convert_from('\xf09f918df09f8fbd'::bytea, 'SQL_ASCII')) AS ascii_thumbs_up_tone,
       pg_temp.is_emoji(convert_from('\xf09f91'::bytea, 'SQL_ASCII')) AS ascii_truncated,
       pg_temp.is_emoji(convert_from('\xeda0bdedb18d'::bytea, 'SQL_ASCII')) AS ascii_surrogates,
       pg_temp.is_emoji(convert_from('\xff'::bytea, 'SQL_ASCII')) AS ascii_invalid;
\c :regress_db
DROP DATABASE emoji_regress_latin1;
DROP DATABASE emoji_regress_sql_ascii;
