import Foundation
import ReliefDomain
import ReliefStore

/// The 12345 platform (§5.1.3): its settings for managers, and its pushes.
extension APIHandler {
    private var hotline: HotlineIntegration { HotlineIntegration(store: store, cipher: cipher) }

    func getHotlineIntegration(_ input: Operations.GetHotlineIntegration.Input) async throws -> Operations.GetHotlineIntegration.Output {
        .ok(.init(body: .json(Self.schema(try await hotline.settings(try signedIn())))))
    }

    func configureHotlineIntegration(_ input: Operations.ConfigureHotlineIntegration.Input) async throws -> Operations.ConfigureHotlineIntegration.Output {
        let context = try signedIn()
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let settings = try await hotline.configure(context, callbackURL: body.callbackUrl, rotateSecret: body.rotateSecret ?? false)
        return .ok(.init(body: .json(Self.schema(settings))))
    }

    /// The signature was checked on the raw body by `HotlineSignatureMiddleware`, which says
    /// for which county; without that, nothing is accepted.
    func pushHotlineOrder(_ input: Operations.PushHotlineOrder.Input) async throws -> Operations.PushHotlineOrder.Output {
        guard let countyID = VerifiedHotlinePush.countyID else { throw Problem.invalidSignature }
        guard case .json(let body) = input.body else { throw Problem.jsonBodyRequired }
        let application = Intake.Application(
            applicant: try Self.applicant(body.applicant), item: .code(body.itemCode), place: .divisionCode(body.placeCode),
            description: body.description, greenChannelReason: body.greenChannelReason)
        let receipt = try await intake
            .receiveHotlineOrder(countyID: countyID, orderNumber: body.orderNumber, application: application)
        let answer = Components.Schemas.HotlineReceipt(caseNumber: receipt.caseNumber, queryCode: receipt.queryCode ?? "",
                                                       created: receipt.created)
        return receipt.created ? .created(.init(body: .json(answer))) : .ok(.init(body: .json(answer)))
    }

    static func schema(_ settings: HotlineIntegration.Settings) -> Components.Schemas.HotlineSettings {
        .init(configured: settings.configured, callbackUrl: settings.callbackURL, updatedAt: settings.updatedAt, secret: settings.newSecret)
    }
}
