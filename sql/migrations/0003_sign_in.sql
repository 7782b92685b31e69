-- ReliefLink schema, migration 0003: sign-in, browser sessions and API tokens.
--
-- A credential's secret is never stored: only its SHA-256. Every token names its county, so
-- the server can set the county before it looks the credential up, and row-level security
-- holds during sign-in too.

-- Steps of sign-in before the user is known read these; they fail closed when unset.
CREATE FUNCTION app_sign_in_username() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('app.sign_in_username', true), '') $$;
CREATE FUNCTION app_credential_hash() RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT decode(nullif(current_setting('app.credential_hash', true), ''), 'hex') $$;

-- The county directory is public (names and division codes); sign-in finds a county by its
-- code before any context exists. The owner reads it through county_by_code(); the
-- application role still goes through row-level security.
ALTER TABLE counties NO FORCE ROW LEVEL SECURITY;
CREATE FUNCTION county_by_code(code text) RETURNS uuid LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS
$$ SELECT county_id FROM counties WHERE division_code = code $$;
REVOKE ALL ON FUNCTION county_by_code(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION county_by_code(text) TO relieflink_app;

CREATE TYPE credential_kind AS ENUM ('browser', 'api');

CREATE TABLE credentials (
    county_id      uuid            NOT NULL,
    id             uuid            NOT NULL,
    user_id        uuid            NOT NULL,
    kind           credential_kind NOT NULL,
    name           text            CHECK (length(name) <= 100),
    token_hash     bytea           NOT NULL CHECK (length(token_hash) = 32),
    created_at     timestamptz     NOT NULL DEFAULT now(),
    expires_at     timestamptz     NOT NULL,
    last_used_at   timestamptz,
    revoked_at     timestamptz,
    client_address text,
    PRIMARY KEY (county_id, id),
    UNIQUE (county_id, token_hash),
    FOREIGN KEY (county_id, user_id) REFERENCES users (county_id, id)
);
CREATE INDEX credentials_user ON credentials (county_id, user_id);

ALTER TABLE credentials ENABLE ROW LEVEL SECURITY;
ALTER TABLE credentials FORCE ROW LEVEL SECURITY;
CREATE POLICY county_boundary ON credentials AS RESTRICTIVE
    USING (county_id = (SELECT app_county_id())) WITH CHECK (county_id = (SELECT app_county_id()));
CREATE POLICY own_or_presented ON credentials FOR SELECT
    USING (user_id = (SELECT app_user_id()) OR token_hash = (SELECT app_credential_hash())
           OR (SELECT app_has_role('center_manager')));
CREATE POLICY issue_own ON credentials FOR INSERT WITH CHECK (user_id = (SELECT app_user_id()));
CREATE POLICY touch_own ON credentials FOR UPDATE
    USING (user_id = (SELECT app_user_id()) OR token_hash = (SELECT app_credential_hash())
           OR (SELECT app_has_role('center_manager')));

-- While signing in, the account named may be read and its failure count updated; while a
-- credential is presented, its holder's account, roles and org may be read.
CREATE POLICY signing_in ON users FOR SELECT
    USING (username = (SELECT app_sign_in_username())
           OR id IN (SELECT c.user_id FROM credentials c WHERE c.token_hash = (SELECT app_credential_hash())));
CREATE POLICY signing_in_update ON users FOR UPDATE USING (username = (SELECT app_sign_in_username()));
CREATE POLICY signing_in ON role_grants FOR SELECT
    USING (user_id IN (SELECT u.id FROM users u WHERE u.username = (SELECT app_sign_in_username()))
           OR user_id IN (SELECT c.user_id FROM credentials c WHERE c.token_hash = (SELECT app_credential_hash())));
CREATE POLICY signing_in ON orgs FOR SELECT
    USING ((SELECT app_sign_in_username()) IS NOT NULL OR (SELECT app_credential_hash()) IS NOT NULL);

GRANT SELECT, INSERT, UPDATE ON credentials TO relieflink_app;
