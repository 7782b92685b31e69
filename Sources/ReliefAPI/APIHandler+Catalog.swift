import Foundation
import ReliefDomain
import ReliefStore

/// The item catalog (§6.1.3) and the service windows (§6.1.4).
extension APIHandler {
    private var catalog: Catalog { Catalog(store: store) }
    private var windows: ServiceWindows { ServiceWindows(store: store) }

    func listCatalogItems(_ input: Operations.ListCatalogItems.Input) async throws -> Operations.ListCatalogItems.Output {
        let items = try await catalog.items(try signedIn(), includeRetired: input.query.includeRetired ?? false)
        return .ok(.init(body: .json(items.map(Self.schema))))
    }

    func createCatalogItem(_ input: Operations.CreateCatalogItem.Input) async throws -> Operations.CreateCatalogItem.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let item = try await catalog.create(
            context, code: body.value2.code, kind: ReliefKind(rawValue: body.value2.kind.rawValue) ?? .temporary,
            departmentID: try requiredID(body.value1.departmentId, field: "departmentId"), content: Self.content(body.value1))
        return .created(.init(body: .json(Self.schema(item))))
    }

    func getCatalogItem(_ input: Operations.GetCatalogItem.Input) async throws -> Operations.GetCatalogItem.Output {
        if let version = input.query.version, version < 1 { throw Problem.invalid("version 应为正整数") }
        let item = try await catalog.item(try signedIn(), id: try pathID(input.path.itemId), version: input.query.version)
        return .ok(.init(body: .json(Self.schema(item))))
    }

    func reviseCatalogItem(_ input: Operations.ReviseCatalogItem.Input) async throws -> Operations.ReviseCatalogItem.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let item = try await catalog.revise(context, id: try pathID(input.path.itemId),
                                            departmentID: try requiredID(body.departmentId, field: "departmentId"),
                                            content: Self.content(body))
        return .ok(.init(body: .json(Self.schema(item))))
    }

    func retireCatalogItem(_ input: Operations.RetireCatalogItem.Input) async throws -> Operations.RetireCatalogItem.Output {
        let item = try await catalog.retire(try signedIn(), id: try pathID(input.path.itemId))
        return .ok(.init(body: .json(Self.schema(item))))
    }

    // MARK: Windows

    func listWindows(_ input: Operations.ListWindows.Input) async throws -> Operations.ListWindows.Output {
        .ok(.init(body: .json(try await windows.windows(try signedIn()).map(Self.schema))))
    }

    func createWindow(_ input: Operations.CreateWindow.Input) async throws -> Operations.CreateWindow.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let window = try await windows.create(
            context, orgID: try requiredID(body.orgId, field: "orgId"), name: body.name, functionArea: body.functionArea,
            itemIDs: try (body.itemIds ?? []).map { try requiredID($0, field: "itemIds") })
        return .created(.init(body: .json(Self.schema(window))))
    }

    func updateWindow(_ input: Operations.UpdateWindow.Input) async throws -> Operations.UpdateWindow.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let window = try await windows.update(
            context, id: try pathID(input.path.windowId), name: body.name, functionArea: body.functionArea, active: body.active,
            itemIDs: try body.itemIds.map { try $0.map { try requiredID($0, field: "itemIds") } })
        return .ok(.init(body: .json(Self.schema(window))))
    }

    // MARK: Schemas

    static func content(_ body: Components.Schemas.CatalogItemRevision) -> ItemContent {
        ItemContent(
            name: body.name, targetGroup: body.targetGroup, process: body.process, reliefContent: body.reliefContent,
            policyBasis: body.policyBasis, timeLimitDays: body.timeLimitDays,
            materials: body.materials.map { material in
                MaterialRequirement(
                    key: material.key, name: material.name, required: material.required,
                    review: ReviewStandard(form: material.review.form, keyPoints: material.review.keyPoints,
                                           commonProblems: material.review.commonProblems,
                                           errorExamples: material.review.errorExamples))
            })
    }

    static func schema(_ material: MaterialRequirement) -> Components.Schemas.MaterialRequirement {
        .init(key: material.key, name: material.name, required: material.required,
              review: .init(form: material.review.form, keyPoints: material.review.keyPoints,
                            commonProblems: material.review.commonProblems, errorExamples: material.review.errorExamples))
    }

    static func schema(_ item: Catalog.Item) -> Components.Schemas.CatalogItem {
        .init(id: item.id.lowercased, code: item.code, kind: .init(rawValue: item.kind.rawValue) ?? .temporary,
              version: item.version, currentVersion: item.currentVersion, departmentId: item.departmentID.lowercased,
              departmentName: item.departmentName, name: item.content.name, targetGroup: item.content.targetGroup,
              process: item.content.process, reliefContent: item.content.reliefContent, policyBasis: item.content.policyBasis,
              timeLimitDays: item.content.timeLimitDays, materials: item.content.materials.map(schema),
              retiredAt: item.retiredAt, revisedAt: item.revisedAt)
    }

    static func schema(_ window: ServiceWindows.Window) -> Components.Schemas.ServiceWindow {
        .init(id: window.id.lowercased, orgId: window.orgID.lowercased, orgName: window.orgName, name: window.name,
              functionArea: window.functionArea, active: window.active, itemIds: window.itemIDs.map(\.lowercased))
    }
}

extension UUID {
    /// As the API writes ids.
    var lowercased: String { uuidString.lowercased() }
}
