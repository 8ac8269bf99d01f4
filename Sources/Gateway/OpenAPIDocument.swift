/// The OpenAPI 3.1 description of the HTTP API, served at `/openapi.yaml`. The YAML
/// file in `Resources/` is the source; it is compiled into the binary.
enum OpenAPIDocument {
    static var yaml: [UInt8] { PackageResources.openapi_yaml }
}
