public import Prometheus

extension PrometheusCollectorRegistry {
    /// The value of each named metric summed over its labels, read from the registry's
    /// own text exposition (the registry offers no other way to read a value back).
    /// Names the registry does not have are left out.
    public func totals(of names: Set<String>) -> [String: Double] {
        var totals: [String: Double] = [:]
        for line in emitToString().split(separator: "\n") where !line.hasPrefix("#") {
            let name = line.prefix { $0 != "{" && $0 != " " }
            guard names.contains(String(name)), let space = line.lastIndex(of: " "),
                  let value = Double(line[line.index(after: space)...]), value.isFinite
            else { continue }
            totals[String(name), default: 0] += value
        }
        return totals
    }
}
