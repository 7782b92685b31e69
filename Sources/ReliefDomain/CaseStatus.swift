/// Where a case stands (DESIGN.md, "The case"; DB32/T 4012-2021 figure 1).
public enum CaseStatus: String, Sendable, CaseIterable, Codable {
    case submitted
    case rejected
    case dispatched
    case jointReview = "joint_review"
    case inProgress = "in_progress"
    case completed
    case closed
    case withdrawn

    /// Open cases still need someone's work; a new application of the same applicant for the
    /// same item while one is open is a likely duplicate.
    public var isOpen: Bool {
        switch self {
        case .submitted, .dispatched, .jointReview, .inProgress: true
        case .rejected, .completed, .closed, .withdrawn: false
        }
    }

    public var title: String {
        switch self {
        case .submitted: "已受理待审核"
        case .rejected: "不予受理"
        case .dispatched: "已派单"
        case .jointReview: "联席会议研判中"
        case .inProgress: "办理中"
        case .completed: "已办结"
        case .closed: "已归档"
        case .withdrawn: "已撤回"
        }
    }
}

/// How an application arrived (§5.1).
public enum IntakeChannel: String, Sendable, CaseIterable, Codable {
    /// Registered by staff at a county, township or village window (§5.1.1).
    case window
    /// Filed by the citizen on the self-service portal (§5.1.2).
    case online
    /// Pushed by the 12345 hotline platform (§5.1.3).
    case hotline

    public var title: String {
        switch self {
        case .window: "窗口受理"
        case .online: "网上申请"
        case .hotline: "12345热线"
        }
    }
}
