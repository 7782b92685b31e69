/// What a staff member may do (DESIGN.md, "Users and what they do"). A user may hold several.
/// Raw values are the `app_role` enum of the database.
public enum Role: String, CaseIterable, Codable, Sendable, Hashable {
    case centerManager = "center_manager"
    case centerAgent = "center_agent"
    case jointOffice = "joint_office"
    case departmentManager = "department_manager"
    case departmentAgent = "department_agent"
    case townshipAgent = "township_agent"
    case villageAgent = "village_agent"
    case auditor

    /// Roles that see every case of their county.
    public static let countyWide: Set<Role> = [.centerManager, .centerAgent, .jointOffice, .auditor]
    /// Roles that see the cases of their org's subtree.
    public static let subtree: Set<Role> = [.townshipAgent, .villageAgent]
    /// Roles that see the cases dispatched to their department.
    public static let department: Set<Role> = [.departmentManager, .departmentAgent]
    /// Every role but the auditor's, who only reads.
    public static let writers: Set<Role> = Set(allCases).subtracting([.auditor])

    /// 中文名, for pages and messages.
    public var title: String {
        switch self {
        case .centerManager: "救助中心管理员"
        case .centerAgent: "救助中心受理员"
        case .jointOffice: "联席会议办公室"
        case .departmentManager: "部门管理员"
        case .departmentAgent: "部门经办人"
        case .townshipAgent: "乡镇（街道）经办人"
        case .villageAgent: "村（社区）经办人"
        case .auditor: "审计员"
        }
    }
}

/// A 12-digit administrative division code (GB/T 2260 and its township and village extension).
public enum DivisionCode {
    public static func isWellFormed(_ code: String) -> Bool {
        code.count == 12 && code.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// A county-level division (县、县级市、区): province 11–82, a prefecture part and a county
    /// part that are not 00 (a prefecture's own code ends in 00), and no township or village part.
    public static func isCounty(_ code: String) -> Bool {
        guard isWellFormed(code), code.hasSuffix("000000") else { return false }
        let digits = Array(code)
        guard let province = Int(String(digits[0...1])), (11...82).contains(province) else { return false }
        return String(digits[2...3]) != "00" && String(digits[4...5]) != "00"
    }
}

/// The three tiers of the org tree (§3.1: county, township, village).
public enum OrgTier: String, CaseIterable, Codable, Sendable {
    case county, township, village
}
