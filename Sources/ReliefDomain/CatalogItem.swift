import Foundation

/// The 8+1 kinds of social assistance (《社会救助暂行办法》; reference/policy.md).
public enum ReliefKind: String, Sendable, CaseIterable, Codable {
    case minimumLiving = "minimum_living"
    case destituteSupport = "destitute_support"
    case disaster
    case medical
    case education
    case housing
    case employment
    case temporary
    case socialParticipation = "social_participation"

    public var title: String {
        switch self {
        case .minimumLiving: "最低生活保障"
        case .destituteSupport: "特困人员供养"
        case .disaster: "受灾人员救助"
        case .medical: "医疗救助"
        case .education: "教育救助"
        case .housing: "住房救助"
        case .employment: "就业救助"
        case .temporary: "临时救助"
        case .socialParticipation: "社会力量参与"
        }
    }
}

/// How staff review one material (§6.1.3.2): its form, what to check, what usually goes
/// wrong, and examples of errors.
public struct ReviewStandard: Sendable, Equatable, Codable {
    public var form: String
    public var keyPoints: [String]
    public var commonProblems: [String]
    public var errorExamples: [String]

    public init(form: String, keyPoints: [String], commonProblems: [String] = [], errorExamples: [String] = []) {
        self.form = form
        self.keyPoints = keyPoints
        self.commonProblems = commonProblems
        self.errorExamples = errorExamples
    }
}

/// One material an item asks for, with its review standard.
public struct MaterialRequirement: Sendable, Equatable, Codable {
    /// Stable within the item, e.g. `id_card`; uploads name it.
    public var key: String
    public var name: String
    public var required: Bool
    public var review: ReviewStandard

    public init(key: String, name: String, required: Bool = true, review: ReviewStandard) {
        self.key = key
        self.name = name
        self.required = required
        self.review = review
    }
}

/// What one version of a catalog item says (§6.1.3.1): everything but who implements it,
/// which the store keeps as a department.
public struct ItemContent: Sendable, Equatable {
    public var name: String
    public var targetGroup: String
    public var process: String
    public var reliefContent: String
    public var policyBasis: String
    /// Working days from acceptance to the result.
    public var timeLimitDays: Int
    public var materials: [MaterialRequirement]

    public init(name: String, targetGroup: String, process: String, reliefContent: String, policyBasis: String,
                timeLimitDays: Int, materials: [MaterialRequirement]) {
        self.name = name
        self.targetGroup = targetGroup
        self.process = process
        self.reliefContent = reliefContent
        self.policyBasis = policyBasis
        self.timeLimitDays = timeLimitDays
        self.materials = materials
    }

    /// What is wrong with this content, in words for the manager who wrote it; nil when valid.
    public var problem: String? {
        func length(_ text: String, _ range: ClosedRange<Int>, _ field: String) -> String? {
            let count = text.trimmingCharacters(in: .whitespacesAndNewlines).count
            return range.contains(count) ? nil : "\(field)应为\(range.lowerBound)–\(range.upperBound)个字符"
        }
        if let problem = length(name, 1...100, "事项名称") ?? length(targetGroup, 1...2000, "服务对象")
            ?? length(process, 1...4000, "办理流程") ?? length(reliefContent, 1...4000, "救助内容")
            ?? length(policyBasis, 1...2000, "政策依据") { return problem }
        guard (1...365).contains(timeLimitDays) else { return "办理时限应为1–365个工作日" }
        guard materials.count <= 50 else { return "申请材料不能超过50项" }
        var keys = Set<String>()
        for material in materials {
            guard Self.isValidKey(material.key) else { return "材料标识 \(material.key) 应为1–40位小写字母、数字、下划线或连字符" }
            guard keys.insert(material.key).inserted else { return "材料标识 \(material.key) 重复" }
            if let problem = length(material.name, 1...100, "材料名称") ?? length(material.review.form, 1...200, "材料形式要求") {
                return problem
            }
            let lists = material.review.keyPoints + material.review.commonProblems + material.review.errorExamples
            guard !material.review.keyPoints.isEmpty else { return "材料“\(material.name)”应至少有一条审核要点" }
            guard lists.count <= 60, lists.allSatisfy({ (1...500).contains($0.count) }) else {
                return "材料“\(material.name)”的审核标准条目应为1–500个字符，合计不超过60条"
            }
        }
        return nil
    }

    public static func isValidKey(_ key: String) -> Bool {
        (1...40).contains(key.count) && key.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" || $0 == "-" }
    }
}
