-- ReliefLink schema, migration 0008: each county's working-day calendar (SLA, DESIGN.md):
-- public holidays that fall on weekdays and the weekend days made working days (调休), which
-- the State Council publishes each year and counties adopt. Weekdays and weekends otherwise
-- follow the week; ReliefDomain.WorkingCalendar does the arithmetic.

CREATE TYPE calendar_day_kind AS ENUM ('holiday', 'workday');

CREATE TABLE calendar_days (
    county_id  uuid              NOT NULL REFERENCES counties,
    day        date              NOT NULL,
    kind       calendar_day_kind NOT NULL,
    name       text              NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    updated_by uuid,
    updated_at timestamptz       NOT NULL DEFAULT now(),
    PRIMARY KEY (county_id, day),
    -- A holiday is a weekday off; a make-up working day is a weekend day worked.
    CHECK ((kind = 'holiday') = (extract(isodow FROM day) < 6))
);

SELECT make_tenant_table('calendar_days');
-- Everyone signed in reads it (deadlines are shown to all); the job runner reads it too.
CREATE POLICY read_signed_in ON calendar_days FOR SELECT
    USING ((SELECT app_user_id()) IS NOT NULL OR (SELECT app_channel()) IS NOT NULL);
CREATE POLICY managers_write ON calendar_days FOR INSERT WITH CHECK ((SELECT app_has_role('center_manager')));
CREATE POLICY managers_update ON calendar_days FOR UPDATE USING ((SELECT app_has_role('center_manager')));
CREATE POLICY managers_delete ON calendar_days FOR DELETE USING ((SELECT app_has_role('center_manager')));

GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_days TO relieflink_app;
