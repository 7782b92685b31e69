import Postgres

/// What the SLA tests check of a database, as its owner: every step of every deadline taken
/// exactly once (issue 6, item 4).
public enum SLAChecks {
    /// One line per deadline that did not take each of its three steps exactly once: its
    /// markers, notices, escalation and timeline events.
    public static let exactlyOnceViolations: PostgresQuery = """
        SELECT d.id::text || ' markers ' || (d.warned_at IS NOT NULL)::text || (d.due_notified_at IS NOT NULL)::text
               || (d.escalated_at IS NOT NULL)::text || ' notices ' || n.w || '/' || n.d || '/' || n.e
               || ' escalations ' || x.c || ' events ' || v.w || '/' || v.d || '/' || v.e
        FROM sla_deadlines d
        CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE step = 'warning') AS w, count(*) FILTER (WHERE step = 'due') AS d,
                                   count(*) FILTER (WHERE step = 'escalation') AS e
                            FROM staff_notices s WHERE s.deadline_id = d.id) n
        CROSS JOIN LATERAL (SELECT count(*) AS c FROM escalations e WHERE e.deadline_id = d.id) x
        CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE action = 'sla_warning') AS w, count(*) FILTER (WHERE action = 'sla_overdue') AS d,
                                   count(*) FILTER (WHERE action = 'sla_escalated') AS e
                            FROM case_events c WHERE c.case_id = d.case_id AND c.detail ->> 'deadline' = d.id::text) v
        WHERE d.warned_at IS NULL OR d.due_notified_at IS NULL OR d.escalated_at IS NULL
           OR (n.w, n.d, n.e) <> (1, 1, 1) OR x.c <> 1 OR (v.w, v.d, v.e) <> (1, 1, 1)
        ORDER BY d.id
        """
}
