public import Hummingbird
public import Storage

/// Per-request state: the authenticated principal, set by `AuthMiddleware`.
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: APIKeyRepository.Principal?
    /// The peer's IP address (a load balancer's, behind one).
    public let peerAddress: String?
    /// The tenant once authenticated, for the access log.
    let caller = RequestCaller()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The caller's tenant. Routes behind `AuthMiddleware` always have one.
    func tenantID() throws -> String {
        guard let principal else { throw APIError.unauthenticated("missing API key") }
        return principal.tenantID
    }

    /// The caller's tenant, when its key carries `scope` (`memgrid keys create --scope admin`);
    /// otherwise `403 insufficient_scope`.
    func tenantID(requiring scope: String) throws -> String {
        let tenantID = try tenantID()
        guard principal?.scopes.contains(scope) == true else {
            throw APIError.forbidden("this route needs a key with the '\(scope)' scope (memgrid keys create --scope \(scope))")
        }
        return tenantID
    }
}
