import ReliefDomain
import Testing

/// Where each role sits (DESIGN.md, "Users and what they do").
@Suite("Where roles sit")
struct RoleSeatingTests {
    @Test("each role held alone where DESIGN.md seats it is accepted")
    func designedSeats() {
        let seats: [(Role, OrgTier, Role.DepartmentKind?)] = [
            (.centerManager, .county, .reliefCenter), (.centerAgent, .county, .reliefCenter), (.jointOffice, .county, .jointOffice),
            (.departmentManager, .county, .department), (.departmentAgent, .county, .department),
            (.townshipAgent, .township, nil), (.villageAgent, .village, nil), (.auditor, .county, nil),
        ]
        for (role, tier, kind) in seats {
            #expect(Role.seatingProblem([role], tier: tier, departmentKind: kind) == nil, "\(role)")
        }
        #expect(Role.seatingProblem([.centerManager, .centerAgent], tier: .county, departmentKind: .reliefCenter) == nil)
    }

    @Test("the auditor's county-wide reading is never combined with another role's rights")
    func auditorAlone() {
        for other in Role.allCases where other != .auditor {
            let problem = Role.seatingProblem([.auditor, other], tier: .county, departmentKind: nil)
            #expect(problem?.contains("审计员") == true, "\(other)")
        }
        #expect(Role.seatingProblem([.auditor, .villageAgent], tier: .village, departmentKind: nil) != nil)
    }

    @Test("a role held where it does not sit is refused, naming the role")
    func misplacedRoles() {
        #expect(Role.seatingProblem([.townshipAgent], tier: .county, departmentKind: nil)?.contains("乡镇") == true)
        #expect(Role.seatingProblem([.villageAgent], tier: .township, departmentKind: nil)?.contains("村") == true)
        #expect(Role.seatingProblem([.centerManager], tier: .village, departmentKind: nil) != nil)
        #expect(Role.seatingProblem([.jointOffice], tier: .township, departmentKind: nil) != nil)
        #expect(Role.seatingProblem([.auditor], tier: .township, departmentKind: nil) != nil)
        #expect(Role.seatingProblem([.departmentAgent], tier: .county, departmentKind: nil)?.contains("部门") == true)
        #expect(Role.seatingProblem([.departmentManager], tier: .county, departmentKind: .reliefCenter) != nil)
        #expect(Role.seatingProblem([.departmentAgent], tier: .township, departmentKind: .department) != nil)
        #expect(Role.seatingProblem([.townshipAgent, .villageAgent], tier: .township, departmentKind: nil) != nil)
        // The department matters too: the center's roles in the center, the joint office's in
        // the joint office, nobody else's in a county department.
        #expect(Role.seatingProblem([.centerManager], tier: .county, departmentKind: .department) != nil)
        #expect(Role.seatingProblem([.jointOffice], tier: .county, departmentKind: .reliefCenter) != nil)
        #expect(Role.seatingProblem([.centerAgent], tier: .county, departmentKind: .jointOffice) != nil)
        #expect(Role.seatingProblem([.auditor], tier: .county, departmentKind: .department) != nil)
        #expect(Role.seatingProblem([.townshipAgent], tier: .township, departmentKind: .department) != nil)
    }
}
