import Hummingbird

/// The dashboard page, served at `/dashboard`. The HTML file in `Resources/` (inline
/// CSS and JS, SVG drawn by hand) is the source; it is compiled into the binary.
enum DashboardPage {
    static var html: [UInt8] { PackageResources.dashboard_html }

    /// The policy forbids every external resource: the page may only run its own inline
    /// code and call this gateway.
    static let headers: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .contentSecurityPolicy: "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        .cacheControl: "no-store",
        .init("Referrer-Policy")!: "no-referrer",
    ]
}
