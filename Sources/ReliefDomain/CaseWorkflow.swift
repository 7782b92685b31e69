/// What staff do to a case (DB32/T 4012-2021 figure 1, §5.2–§5.6), and which state each
/// action leads to. The store asks here before it changes anything, so a refused action
/// names the actions the case's state allows.
public enum CaseAction: String, Sendable, CaseIterable, Codable {
    /// §5.2: not eligible; the applicant is told why.
    case reject
    /// §5.3: to the implementing department(s), by the center (also on the joint office's behalf).
    case dispatch
    /// §5.3: implementer unclear, no policy, cannot be transferred, or several departments needed.
    case refer
    /// §5.4: the joint office decides departments and the linked relief plan, or no relief.
    case decide
    /// §5.6: the center closes a completed case with its summary.
    case close
    /// 回访: satisfaction 1–5 and comments on a closed case.
    case followUp = "follow_up"
    /// A dissatisfied follow-up sends the case back to the center.
    case reopen
    /// The applicant withdraws an open case.
    case withdraw

    public var title: String {
        switch self {
        case .reject: "不予受理"
        case .dispatch: "派单"
        case .refer: "提交联席会议"
        case .decide: "联席会议研判"
        case .close: "办结归档"
        case .followUp: "回访"
        case .reopen: "重新办理"
        case .withdraw: "撤回"
        }
    }
}

public enum CaseWorkflow {
    /// The state `action` leads to from `status`; nil when the state does not allow it.
    public static func next(from status: CaseStatus, on action: CaseAction) -> CaseStatus? {
        switch (status, action) {
        case (.submitted, .reject), (.jointReview, .reject): .rejected
        case (.submitted, .dispatch), (.jointReview, .dispatch): .dispatched
        case (.submitted, .refer): .jointReview
        case (.jointReview, .decide): .jointReview
        case (.completed, .close): .closed
        case (.closed, .followUp): .closed
        case (.closed, .reopen): .submitted
        case (let open, .withdraw) where open.isOpen: .withdrawn
        default: nil
        }
    }

    /// Every action `status` allows, in the order staff meet them.
    public static func allowedActions(in status: CaseStatus) -> [CaseAction] {
        CaseAction.allCases.filter { next(from: status, on: $0) != nil }
    }

    /// Where a case stands once its assignments have moved, for the states the departments
    /// drive: the first sign-for starts the handling (§5.4), every assignment done completes
    /// it (§5.6), and every assignment returned sends it back to the center (退单).
    public static func status(afterAssignmentsOf status: CaseStatus, assignments: [AssignmentStatus]) -> CaseStatus {
        guard status == .dispatched || status == .inProgress, !assignments.isEmpty else { return status }
        let active = assignments.filter { $0 != .returned }
        if active.isEmpty { return .submitted }
        if active.allSatisfy({ $0 == .done }) { return .completed }
        if active.contains(where: { $0 == .accepted || $0 == .done }) { return .inProgress }
        return .dispatched
    }
}

/// One department's part of a case (派单 → 签收 | 退单; 签收 → 办结).
public enum AssignmentStatus: String, Sendable, CaseIterable, Codable {
    case pending, accepted, returned, done

    public var title: String {
        switch self {
        case .pending: "待签收"
        case .accepted: "办理中"
        case .returned: "已退单"
        case .done: "已办结"
        }
    }
}

public enum AssignmentAction: String, Sendable, CaseIterable, Codable {
    /// 签收: the department takes the case; the applicant is told what to bring and where (§5.4).
    case signFor = "sign_for"
    /// 退单: not the department's remit; back to the center with a reason.
    case `return`
    /// Field work for a township or village (入户调查 …, §5.5).
    case delegate
    /// 延期: more time, asked with a reason before the deadline.
    case requestExtension = "request_extension"
    /// 办结: granted, partly or denied, with content and amount (§5.5, §5.6).
    case recordOutcome = "record_outcome"

    public var title: String {
        switch self {
        case .signFor: "签收"
        case .return: "退单"
        case .delegate: "委托调查"
        case .requestExtension: "申请延期"
        case .recordOutcome: "办结"
        }
    }
}

public enum AssignmentWorkflow {
    public static func next(from status: AssignmentStatus, on action: AssignmentAction) -> AssignmentStatus? {
        switch (status, action) {
        case (.pending, .signFor): .accepted
        case (.pending, .return): .returned
        case (.accepted, .delegate), (.accepted, .requestExtension): .accepted
        case (.accepted, .recordOutcome): .done
        default: nil
        }
    }

    public static func allowedActions(in status: AssignmentStatus) -> [AssignmentAction] {
        AssignmentAction.allCases.filter { next(from: status, on: $0) != nil }
    }
}

/// Field work delegated to a township or village (§5.5): open until its staff report.
public enum TaskStatus: String, Sendable, CaseIterable, Codable {
    case open, reported
}

public enum TaskAction: String, Sendable, CaseIterable, Codable {
    case report
}

public enum TaskWorkflow {
    public static func next(from status: TaskStatus, on action: TaskAction) -> TaskStatus? {
        switch (status, action) {
        case (.open, .report): .reported
        default: nil
        }
    }

    public static func allowedActions(in status: TaskStatus) -> [TaskAction] {
        TaskAction.allCases.filter { next(from: status, on: $0) != nil }
    }
}

/// The result a department records (§5.5).
public enum Outcome: String, Sendable, CaseIterable, Codable {
    case granted, partly, denied

    public var title: String {
        switch self {
        case .granted: "予以救助"
        case .partly: "部分救助"
        case .denied: "不予救助"
        }
    }
}

/// Why the center refers a case to the joint meeting (§5.3).
public enum ReferralReason: String, Sendable, CaseIterable, Codable {
    case implementerUnclear = "implementer_unclear"
    case noPolicy = "no_policy"
    case cannotTransfer = "cannot_transfer"
    case severalDepartments = "several_departments"

    public var title: String {
        switch self {
        case .implementerUnclear: "实施主体尚不明确"
        case .noPolicy: "无相关救助政策"
        case .cannotTransfer: "无法转办"
        case .severalDepartments: "涉及两个以上部门"
        }
    }
}
