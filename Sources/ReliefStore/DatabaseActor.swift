import ReliefDomain

/// The database role a transaction acts as (migration 0015): the policies that serve one
/// kind of actor name its role, so nobody else's are planned or evaluated in a query. Which
/// rows the actor sees is still decided by the transaction's context settings.
enum DatabaseActor: String, Sendable {
    /// Township and village staff: they see their org's subtree.
    case staff = "relieflink_staff"
    /// The center, the joint office and auditors: they see their whole county, read by the
    /// county boundary alone (migration 0016).
    case countyStaff = "relieflink_county_staff"
    /// Staff holding a department role: they also see what was dispatched to the department.
    case department = "relieflink_department"
    /// Citizens online, the 12345 platform, applicants reading their case, sign-in.
    case `public` = "relieflink_public"
    /// The job runner acting for a county.
    case jobs = "relieflink_jobs"

    init(_ context: TenantContext) {
        if !context.roles.isDisjoint(with: Role.department) {
            self = .department
        } else if !context.roles.isDisjoint(with: Role.countyWide) {
            self = .countyStaff
        } else {
            self = .staff
        }
    }
}
