import Foundation

/// The stages a case is timed in (SLA, DESIGN.md), who answers for each, and its limits.
public enum SLAStage: String, Sendable, CaseIterable, Codable {
    /// The center accepts, rejects, dispatches or refers (一门受理, §5.2–§5.3).
    case acceptance
    /// The joint office decides a referral (联席会议, §5.4).
    case jointReview = "joint_review"
    /// A department signs for or returns an assignment (签收, §5.4).
    case signing
    /// A department handles what it signed for (办理, §5.4–§5.5); the limit is the item's.
    case handling
    /// The center closes a completed case with its summary (办结汇总, §5.6).
    case summary

    public var title: String {
        switch self {
        case .acceptance: "受理"
        case .jointReview: "联席会议研究"
        case .signing: "签收"
        case .handling: "办理"
        case .summary: "办结汇总"
        }
    }

    /// Who is told at the deadline: the department's manager for its own stages, else the
    /// center's manager or the joint office.
    public var responsibleRole: Role {
        switch self {
        case .acceptance, .summary: .centerManager
        case .jointReview: .jointOffice
        case .signing, .handling: .departmentManager
        }
    }
}

/// A county's limits for one stage. Limits are working days on the county's calendar; 0 means
/// by the end of the same working day.
public struct SLAPolicy: Sendable, Equatable, Codable {
    public var stage: SLAStage
    /// nil for handling: the catalog item's own time limit applies.
    public var limitWorkingDays: Int?
    /// The green channel's limit (§6.3.5); for handling, the percentage of the item's limit.
    public var greenLimitWorkingDays: Int?
    public var greenHandlingPercent: Int
    /// The warning goes out when this share of the time has passed.
    public var warnAtFraction: Double
    /// Working days past the deadline before the case escalates to the joint office (督办).
    public var escalateAfterWorkingDays: Int
    /// Whether the clock stops while the case waits for the applicant (e.g. missing materials).
    public var pausesForApplicant: Bool

    public init(stage: SLAStage, limitWorkingDays: Int?, greenLimitWorkingDays: Int?, greenHandlingPercent: Int = 50,
                warnAtFraction: Double = 0.75, escalateAfterWorkingDays: Int = 1, pausesForApplicant: Bool) {
        self.stage = stage
        self.limitWorkingDays = limitWorkingDays
        self.greenLimitWorkingDays = greenLimitWorkingDays
        self.greenHandlingPercent = greenHandlingPercent
        self.warnAtFraction = warnAtFraction
        self.escalateAfterWorkingDays = escalateAfterWorkingDays
        self.pausesForApplicant = pausesForApplicant
    }

    /// What a county starts with (reference/policy.md: 12345 orders are signed or returned in
    /// 1–2 working days; supervision the day after a deadline; refusals within 3 working days).
    public static func standard(_ stage: SLAStage) -> SLAPolicy {
        switch stage {
        case .acceptance: SLAPolicy(stage: stage, limitWorkingDays: 2, greenLimitWorkingDays: 0, pausesForApplicant: true)
        case .jointReview: SLAPolicy(stage: stage, limitWorkingDays: 5, greenLimitWorkingDays: 2, pausesForApplicant: false)
        case .signing: SLAPolicy(stage: stage, limitWorkingDays: 1, greenLimitWorkingDays: 0, pausesForApplicant: false)
        case .handling: SLAPolicy(stage: stage, limitWorkingDays: nil, greenLimitWorkingDays: nil, pausesForApplicant: true)
        case .summary: SLAPolicy(stage: stage, limitWorkingDays: 3, greenLimitWorkingDays: 1, pausesForApplicant: false)
        }
    }

    /// Why a policy cannot be used, in words for the manager; nil when it is fine.
    public var problem: String? {
        if stage == .handling {
            if limitWorkingDays != nil || greenLimitWorkingDays != nil { return "办理时限取自事项清单，不能在此设置天数" }
        } else {
            guard let limit = limitWorkingDays else { return "请设置时限（limitWorkingDays，0–60个工作日）" }
            guard (0...60).contains(limit) else { return "时限应为0–60个工作日" }
            guard let green = greenLimitWorkingDays else { return "请设置绿色通道时限（greenLimitWorkingDays，0至普通时限之间）" }
            guard (0...limit).contains(green) else { return "绿色通道时限应为0至普通时限之间" }
        }
        guard (10...100).contains(greenHandlingPercent) else { return "绿色通道办理时限比例应为10%–100%" }
        guard warnAtFraction >= 0.3, warnAtFraction <= 0.95 else { return "预警点应在时限的30%–95%之间" }
        guard (0...10).contains(escalateAfterWorkingDays) else { return "督办宽限应为0–10个工作日" }
        return nil
    }

    /// The limit in working days for a case: the policy's, or for handling the item's.
    public func limit(green: Bool, itemLimitWorkingDays: Int) -> Int {
        if stage == .handling {
            return green ? max(1, (itemLimitWorkingDays * greenHandlingPercent + 99) / 100) : itemLimitWorkingDays
        }
        return (green ? greenLimitWorkingDays : limitWorkingDays) ?? 0
    }
}

/// The three moments of one deadline, and the order they come in.
public enum SLAStep: String, Sendable, CaseIterable, Codable, Comparable {
    /// 预警: a share of the time has passed.
    case warning
    /// 到期: the deadline; the responsible manager is told.
    case due
    /// 督办: past the deadline by the margin; the joint office takes it up.
    case escalation

    public static func < (lhs: SLAStep, rhs: SLAStep) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The steps a deadline has taken, from whether its three markers are set.
    public static func taken(warned: Bool, due: Bool, escalated: Bool) -> Set<SLAStep> {
        Set(zip(allCases, [warned, due, escalated]).filter(\.1).map(\.0))
    }
}

/// When a stage that started at `start` warns, falls due and escalates.
public struct SLASchedule: Sendable, Equatable {
    public let warnAt: Date
    public let dueAt: Date
    public let escalateAt: Date

    /// A schedule as stored.
    public init(warnAt: Date, dueAt: Date, escalateAt: Date) {
        self.warnAt = warnAt
        self.dueAt = dueAt
        self.escalateAt = escalateAt
    }

    /// - Parameters:
    ///   - extensionWorkingDays: approved extensions (延期) move the deadline by their days.
    ///   - pausedTime: office time the clock stood still while waiting for the applicant.
    public init(start: Date, policy: SLAPolicy, green: Bool, itemLimitWorkingDays: Int, extensionWorkingDays: Int = 0,
                pausedTime: Duration = .zero, calendar: WorkingCalendar) {
        let limit = policy.limit(green: green, itemLimitWorkingDays: itemLimitWorkingDays) + max(extensionWorkingDays, 0)
        var due = calendar.adding(workingDays: limit, to: start)
        if pausedTime > .zero { due = calendar.adding(workingTime: pausedTime, to: due) }
        let total = calendar.workingTimeRemaining(from: start, until: due)
        let warnAfter = Duration.milliseconds(Int64(Double(total.components.seconds) * 1000 * policy.warnAtFraction))
        warnAt = min(calendar.adding(workingTime: warnAfter, to: start), due)
        dueAt = due
        escalateAt = policy.escalateAfterWorkingDays == 0 ? due : calendar.adding(workingDays: policy.escalateAfterWorkingDays, to: due)
    }

    public func time(of step: SLAStep) -> Date {
        switch step {
        case .warning: warnAt
        case .due: dueAt
        case .escalation: escalateAt
        }
    }

    /// The steps due by `now` that have not been taken yet, in order.
    public func stepsDue(at now: Date, taken: Set<SLAStep>) -> [SLAStep] {
        SLAStep.allCases.filter { !taken.contains($0) && time(of: $0) <= now }
    }

    /// When the next step not yet taken falls due; nil when all are taken.
    public func nextStepTime(taken: Set<SLAStep>) -> Date? {
        SLAStep.allCases.first { !taken.contains($0) }.map(time(of:))
    }
}
