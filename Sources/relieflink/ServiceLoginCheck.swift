import Logging
import Postgres

/// `serve` and `jobs` are meant to log in as a member of relieflink_app, which owns nothing
/// and cannot bypass row-level security (README, "Tenancy"). Every transaction still acts as
/// its actor's role, so the policies hold either way; a login that could bypass them is said
/// at start, so that a deployment using the owner's URL by mistake is noticed.
func warnIfLoginIsPrivileged(_ pool: ConnectionPool, logger: Logger) async {
    guard let (login, privileged, member) = try? await pool.query("""
        SELECT current_user::text, r.rolsuper OR r.rolbypassrls, pg_has_role(current_user, 'relieflink_app', 'MEMBER')
        FROM pg_roles r WHERE r.rolname = current_user
        """, timeout: .seconds(10)).decode((String, Bool, Bool).self).first else { return }
    if privileged || !member {
        logger.warning("the database login should be a member of relieflink_app without superuser or BYPASSRLS (see README, Tenancy)",
                       metadata: ["login": "\(login)", "superuser_or_bypassrls": "\(privileged)", "member_of_relieflink_app": "\(member)"])
    }
}
