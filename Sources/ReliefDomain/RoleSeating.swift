/// Where each role sits (DESIGN.md, "Users and what they do"). What a role sees follows from
/// where its holder sits (a township agent sees the township's subtree, a department's staff
/// what was dispatched to the department), so a role granted where it does not sit would
/// silently widen or empty what its holder sees.
extension Role {
    /// The kinds of departments (`department_kind` in the database).
    public enum DepartmentKind: String, Sendable {
        case reliefCenter = "relief_center"
        case jointOffice = "joint_office"
        case department
    }

    /// Why a user at an org of `tier`, in a department of `departmentKind` (nil: none), cannot
    /// hold `roles`; nil when they can.
    public static func seatingProblem(_ roles: Set<Role>, tier: OrgTier, departmentKind: DepartmentKind?) -> String? {
        // The auditor reads the whole county, masked; any other role would lend that reach its
        // own rights (unmasking, downloading, writing) on rows it was never meant to see.
        if roles.contains(.auditor), roles.count > 1 { return "审计员只读全县数据，不能与其他角色同时授予" }
        for role in roles.sorted(by: { $0.rawValue < $1.rawValue }) {
            switch role {
            case .centerManager, .centerAgent:
                guard tier == .county, departmentKind == nil || departmentKind == .reliefCenter else {
                    return "\(role.title)应设在县（市、区）社会救助中心"
                }
            case .jointOffice:
                guard tier == .county, departmentKind == nil || departmentKind == .jointOffice else {
                    return "\(role.title)应设在县（市、区）社会救助联席会议办公室"
                }
            case .auditor:
                guard tier == .county, departmentKind == nil else { return "\(role.title)应设在县（市、区）一级，不属于任何部门" }
            case .departmentManager, .departmentAgent:
                guard tier == .county, departmentKind == .department else { return "\(role.title)应属于县（市、区）的一个职能部门" }
            case .townshipAgent:
                guard tier == .township, departmentKind == nil else { return "\(role.title)应设在乡镇（街道），不属于县级部门" }
            case .villageAgent:
                guard tier == .village, departmentKind == nil else { return "\(role.title)应设在村（社区），不属于县级部门" }
            }
        }
        return nil
    }
}
