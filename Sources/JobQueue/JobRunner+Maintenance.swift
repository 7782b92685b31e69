import Foundation
import Postgres

extension JobRunner {
    /// Once per heartbeat interval: heartbeat, cancellations, rescue, leadership, periodic
    /// jobs, pruning and the watchdog. Each step's failure is logged and the loop goes on.
    func maintenanceLoop() async {
        var lastPrune = clock.now - .seconds(3600)
        var nextPeriodic: [String: Date] = [:]
        while !state.withLock({ $0.maintenanceStopped }) {
            await beat()
            await rescueDeadRunnersJobs()
            if await lead() {
                await enqueuePeriodicJobs(&nextPeriodic)
                if clock.now - lastPrune >= .seconds(60) {
                    lastPrune = clock.now
                    await prune()
                }
            }
            await maintenanceWake.wait(timeout: configuration.heartbeatInterval)
        }
    }

    /// The watchdog's own loop: it asks nothing of the database, so it logs a stall while the
    /// database keeps the other loops waiting; the heartbeat writes it when it next gets through.
    func watchdogLoop() async {
        while !Task.isCancelled {
            watch()
            try? await Task.sleep(for: configuration.heartbeatInterval)
        }
    }

    private func beat() async {
        let (held, progressAt, stalledSince, succeeded, failed) = state.withLock { state in
            (Array(state.running.keys) + state.pendingCompletions + Array(state.flushing),
             state.progressAt, state.stalledSince, state.succeeded, state.failed)
        }
        do {
            let cancelled = try await pool.query(RunnerStatements.heartbeat(
                runner: id, held: held, progressAt: progressAt, stalledSince: stalledSince, succeeded: succeeded, failed: failed
            )).column(Int64.self)
            let tasks = state.withLock { state in cancelled.compactMap { state.running[$0]?.task } }
            for task in tasks { task.cancel() }
        } catch {
            logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
        }
    }

    private func rescueDeadRunnersJobs() async {
        do {
            let rescued = try await pool.query(RunnerStatements.rescue(deadAfter: configuration.deadAfter)).scalar(Int.self) ?? 0
            if rescued > 0 { logger.warning("took back jobs whose runner stopped sending heartbeats", metadata: ["jobs": "\(rescued)"]) }
        } catch {
            logger.warning("rescue failed", metadata: ["error": "\(error)"])
        }
    }

    /// Takes or renews the leader's lease; answers whether this runner leads.
    private func lead() async -> Bool {
        let leads: Bool
        do {
            leads = try await pool.query(RunnerStatements.lease("leader", holder: id, ttl: configuration.leaderLease)).count == 1
        } catch {
            logger.warning("leader election failed", metadata: ["error": "\(error)"])
            leads = false
        }
        let changed = state.withLock { state -> Bool in
            defer { state.isLeader = leads }
            return state.isLeader != leads
        }
        if changed { logger.info(leads ? "leading: scheduling periodic jobs" : "no longer leading") }
        return leads
    }

    /// Enqueues each periodic job whose slot has come, once per slot: the slot advances in the
    /// same transaction as the enqueue, compared and set, so a second leader cannot repeat it.
    private func enqueuePeriodicJobs(_ nextCheck: inout [String: Date]) async {
        let periodic = state.withLock { $0.periodic }
        for entry in periodic where (nextCheck[entry.name] ?? .distantPast) <= Date() {
            do {
                let next = try await pool.transaction { connection -> Date in
                    let now = try await connection.query("SELECT now()").scalar(Date.self) ?? Date()
                    let last = try await connection.query("""
                        SELECT last_slot FROM job_queue.periodic_slots WHERE name = \(entry.name) FOR UPDATE
                        """).scalar(Date.self)
                    guard let last else {
                        // First sight: the schedule starts now; its next slot runs.
                        try await connection.execute("""
                            INSERT INTO job_queue.periodic_slots (name, last_slot) VALUES (\(entry.name), \(now))
                            ON CONFLICT (name) DO NOTHING
                            """)
                        return entry.schedule.nextSlot(after: now)
                    }
                    if let slot = entry.schedule.latestSlot(after: last, notLaterThan: now) {
                        try await connection.execute("UPDATE job_queue.periodic_slots SET last_slot = \(slot) WHERE name = \(entry.name)")
                        let enqueued = try await JobQueue.enqueue(entry.job, on: connection)
                        logger.info("periodic job enqueued", metadata: [
                            "name": "\(entry.name)", "slot": "\(slot)", "job": "\(enqueued.id)", "new": "\(enqueued.inserted)",
                        ])
                        return entry.schedule.nextSlot(after: slot)
                    }
                    return entry.schedule.nextSlot(after: last)
                }
                nextCheck[entry.name] = next
            } catch {
                logger.warning("periodic job not enqueued", metadata: ["name": "\(entry.name)", "error": "\(error)"])
            }
        }
    }

    /// Deletes finished jobs past their retention, a bounded batch at a time.
    private func prune() async {
        let retention = Int64(configuration.retention.seconds)
        let failedRetention = Int64(configuration.failedRetention.seconds)
        do {
            // In batches, so no statement holds many locks; until a batch comes back short (a
            // queue finishing thousands of jobs a second is kept up with), at most a million.
            var deleted = 0
            // One condition per statement, each answered by the index on finished_at.
            for (states, age) in [("{succeeded,cancelled}", retention), ("{failed}", failedRetention)] {
                for _ in 0..<100 {
                    let batch = try await pool.execute("""
                        DELETE FROM job_queue.jobs WHERE id IN (
                            SELECT id FROM job_queue.jobs
                            WHERE state = ANY(\(states)::job_queue.job_state[])
                              AND finished_at < now() - \(age) * interval '1 second'
                            LIMIT 10000)
                        """)
                    deleted += batch
                    if batch < 10000 { break }
                }
            }
            try await pool.execute("""
                DELETE FROM job_queue.runners
                WHERE coalesce(stopped_at, heartbeat_at) < now() - \(failedRetention) * interval '1 second'
                """)
            if deleted > 0 { logger.info("pruned finished jobs", metadata: ["jobs": "\(deleted)"]) }
        } catch {
            logger.warning("pruning failed", metadata: ["error": "\(error)"])
        }
    }

    /// The watchdog: a queue loop that has not turned for longer than its poll plus
    /// `stallAfter`, or a job running past its time-out plus `stallAfter` (a handler that
    /// ignores cancellation), stalls the runner. Logged when it starts and when it ends, and
    /// written with the heartbeat, where `jobs status` and /metrics show it.
    func watch() {
        let now = clock.now
        let (stuck, wasStalled) = state.withLock { state -> ([String], Bool) in
            var stuck: [String] = []
            if !state.stopping {
                for (queue, turned) in state.lastTurn where now - turned > configuration.pollInterval + configuration.stallAfter {
                    stuck.append("queue \(queue) has not claimed for \(now - turned)")
                }
            }
            for running in state.running.values where now - running.startedAt > running.handler.timeout + configuration.stallAfter {
                stuck.append("job \(running.job.id) (\(running.job.kind)) has run for \(now - running.startedAt)")
            }
            let wasStalled = state.stalledSince != nil
            if stuck.isEmpty { state.stalledSince = nil } else if !wasStalled { state.stalledSince = Date() }
            return (stuck, wasStalled)
        }
        if !stuck.isEmpty, !wasStalled {
            logger.error("job runner stalled", metadata: ["why": "\(stuck.joined(separator: "; "))"])
        } else if stuck.isEmpty, wasStalled {
            logger.notice("job runner making progress again")
        }
    }
}
