import Foundation
import JobQueue
import Postgres
import Testing
import TestSupport

/// `job_queue.enqueue_all_now()` and its one-job form `enqueue_now()` (sql/migrations/0018): the
/// enqueue rule triggers use, written once.
@Suite("Enqueueing from SQL")
struct EnqueueFromSQLTests {
    @Test("fresh keys make available jobs; an open job with the key is brought forward, or run again if running")
    func oneRuleForEveryJob() async throws {
        try await withQueue { db in
            // Three jobs already open: one scheduled a day ahead, one available, one running.
            try await db.admin.execute("""
                INSERT INTO job_queue.jobs (kind, payload, queue, state, run_at, unique_key, runner_id, wake) VALUES
                    ('sync', '{}', 'sla', 'scheduled', now() + interval '1 day', 'k:scheduled', NULL, false),
                    ('sync', '{}', 'sla', 'available', now() - interval '1 hour', 'k:available', NULL, false),
                    ('sync', '{}', 'sla', 'running', now() - interval '1 minute', 'k:running', gen_random_uuid(), false)
                """)
            let tenant = UUID()
            try await db.app.execute("""
                SELECT job_queue.enqueue_all_now('sync', 'sla',
                    \(["{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}"])::jsonb[], \([Int16(1), 4, 4, 4]),
                    \(["k:fresh", "k:scheduled", "k:available", "k:running"]), \([tenant, tenant, tenant, tenant]), false)
                """)
            #expect(try await db.countJobs() == 4)
            #expect(try await db.countJobs(where: """
                unique_key = 'k:fresh' AND state = 'available' AND priority = 1 AND payload = '{"n":1}' AND tenant = '\(tenant)'
                """) == 1)
            // Brought forward: available now, and the payload of the job already there kept.
            #expect(try await db.countJobs(where: "unique_key = 'k:scheduled' AND state = 'available' AND run_at <= now() AND payload = '{}'") == 1)
            #expect(try await db.countJobs(where: "unique_key = 'k:available' AND state = 'available' AND run_at < now() - interval '59 minutes'") == 1)
            #expect(try await db.countJobs(where: "unique_key = 'k:running' AND state = 'running' AND rerun") == 1)
            #expect(try await db.countJobs(where: "rerun") == 1)

            // The one-job form follows the same rule.
            try await db.admin.execute("UPDATE job_queue.jobs SET state = 'scheduled', run_at = now() + interval '1 day' WHERE unique_key = 'k:fresh'")
            try await db.app.execute("SELECT job_queue.enqueue_now('sync', '{}'::jsonb, 'sla', 4::smallint, 'k:fresh', NULL::uuid, false)")
            #expect(try await db.countJobs(where: "unique_key = 'k:fresh' AND state = 'available' AND run_at <= now()") == 1)
            #expect(try await db.countJobs() == 4)
        }
    }

    @Test("arrays of different lengths are refused (22023) and enqueue nothing; empty arrays enqueue nothing")
    func mismatchedArraysAreRefused() async throws {
        try await withQueue { db in
            let mismatched: [PostgresQuery] = [
                "SELECT job_queue.enqueue_all_now('sync', 'sla', \(["{}", "{}"])::jsonb[], \([Int16(4)]), \(["k:1", "k:2"]), \([UUID(), UUID()]), false)",
                "SELECT job_queue.enqueue_all_now('sync', 'sla', \(["{}"])::jsonb[], \([Int16(4)]), \(["k:1"]), \([UUID(), UUID()]), false)",
            ]
            for query in mismatched {
                let error = await #expect(throws: PostgresServerError.self) { try await db.app.execute(query) }
                #expect(error?.code.code == "22023")
            }
            try await db.app.execute("""
                SELECT job_queue.enqueue_all_now('sync', 'sla', '{}'::jsonb[], '{}'::smallint[], '{}'::text[], '{}'::uuid[], false)
                """)
            #expect(try await db.countJobs() == 0)
        }
    }
}
