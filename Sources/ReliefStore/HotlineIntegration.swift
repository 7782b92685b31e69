import Crypto
import Foundation
import Postgres
import ReliefDomain

/// The county's link with the 12345 platform (§5.1.3): the secret that signs its pushes and
/// the address its status callbacks go to. Center managers set it; the secret is shown once,
/// when it is made, and kept sealed.
public struct HotlineIntegration: Sendable {
    public let store: Store
    public let cipher: PersonalDataCipher

    public init(store: Store, cipher: PersonalDataCipher) {
        self.store = store
        self.cipher = cipher
    }

    public struct Settings: Sendable, Equatable {
        public let configured: Bool
        public let callbackURL: String?
        public let updatedAt: Date?
        /// Present only in the answer that made it.
        public let newSecret: String?
    }

    public func settings(_ context: TenantContext) async throws -> Settings {
        try requireManager(context)
        return try await store.withTenant(context, readOnly: true) { transaction in
            let row = try await transaction.query("SELECT callback_url, updated_at FROM hotline_integrations")
                .decode((String?, Date).self).first
            return Settings(configured: row != nil, callbackURL: row?.0, updatedAt: row?.1, newSecret: nil)
        }
    }

    /// Sets the callback address and, when asked or when there is none yet, makes a new secret.
    public func configure(_ context: TenantContext, callbackURL: String?, rotateSecret: Bool) async throws -> Settings {
        try requireManager(context)
        if let callbackURL {
            guard callbackURL.count <= 500, let url = URL(string: callbackURL), ["http", "https"].contains(url.scheme ?? ""),
                  url.host?.isEmpty == false else { throw StoreFailure.invalid("回调地址应为 http(s):// 开头的网址") }
        }
        let secret = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let sealed = try cipher.seal(secret, countyID: context.countyID, field: "hotline.secret")
        return try await store.withTenant(context) { transaction in
            let exists = try await transaction.query("SELECT 1 FROM hotline_integrations FOR UPDATE").count == 1
            let rotate = rotateSecret || !exists
            try await transaction.execute("""
                INSERT INTO hotline_integrations (county_id, secret, callback_url, updated_by)
                VALUES (\(context.countyID), \(sealed), \(callbackURL), \(context.userID))
                ON CONFLICT (county_id) DO UPDATE SET
                    secret = CASE WHEN \(rotate) THEN excluded.secret ELSE hotline_integrations.secret END,
                    callback_url = excluded.callback_url, updated_by = excluded.updated_by, updated_at = now()
                """)
            try await transaction.audit(rotate ? "hotline_secret_rotated" : "hotline_updated", objectType: "hotline_integration",
                                        detail: ["callback_url": callbackURL ?? ""])
            let updatedAt = try await transaction.query("SELECT updated_at FROM hotline_integrations").scalar(Date.self)
            return Settings(configured: true, callbackURL: callbackURL, updatedAt: updatedAt, newSecret: rotate ? secret : nil)
        }
    }

    /// Checks a push: the signature is HMAC-SHA-256 under the county's secret over
    /// `timestamp + "." + body`, hex; the timestamp (Unix seconds) within five minutes of now.
    public func verifyPush(countyID: UUID, timestamp: String, signature: String, body: Data, now: Date = Date()) async throws -> Bool {
        guard let seconds = Int64(timestamp), abs(now.timeIntervalSince1970 - Double(seconds)) <= HotlineSignature.window else {
            return false
        }
        guard let sealed = try await store.withChannel(.hotline, countyID: countyID, { transaction in
            try await transaction.query("SELECT secret FROM hotline_integrations").scalar(Data.self)
        }) else { return false }
        let secret = try cipher.open(sealed, countyID: countyID, field: "hotline.secret")
        return HotlineSignature.isValid(signature, secret: secret, timestamp: timestamp, body: body)
    }

    private func requireManager(_ context: TenantContext) throws {
        try context.require(anyOf: [.centerManager], "只有救助中心管理员可以设置12345对接。")
    }
}

/// The signature of a 12345 push or callback.
public enum HotlineSignature {
    /// Pushes older or newer than this many seconds are refused (replays).
    public static let window: TimeInterval = 300

    public static func sign(secret: String, timestamp: String, body: Data) -> String {
        var message = Data(timestamp.utf8)
        message.append(UInt8(ascii: "."))
        message.append(body)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))).hexEncoded
    }

    /// Compares in constant time, so timing tells an attacker nothing.
    public static func isValid(_ signature: String, secret: String, timestamp: String, body: Data) -> Bool {
        let expected = Array(sign(secret: secret, timestamp: timestamp, body: body).utf8)
        let given = Array(signature.lowercased().utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
