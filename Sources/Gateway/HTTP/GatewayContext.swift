public import Hummingbird
public import Storage

/// Per-request state: the authenticated principal, set by `AuthMiddleware`.
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: APIKeyRepository.Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// The caller's tenant. Routes behind `AuthMiddleware` always have one.
    func tenantID() throws -> String {
        guard let principal else { throw APIError.unauthenticated("missing API key") }
        return principal.tenantID
    }
}
