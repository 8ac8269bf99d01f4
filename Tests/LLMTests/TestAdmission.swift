import LLM
import Synchronization

/// A `CallAdmission` without limits that refuses the named providers outright, and
/// records each permit's estimate and the tokens it was finished with.
final class TestAdmission: CallAdmission {
    let refused: Set<String>
    private let permits = Mutex<(admitted: [Int], finished: [Int?])>(([], []))

    init(refusing refused: Set<String> = []) {
        self.refused = refused
    }

    func admit(_ limits: ProviderLimits, tokens: Int, maxWait: Duration) async throws -> CallPermit {
        guard !refused.contains(limits.provider) else {
            throw LLMError(.capacityTimeout, "\(limits.provider) is full")
        }
        permits.withLock { $0.admitted.append(tokens) }
        return CallPermit { actual in self.permits.withLock { $0.finished.append(actual) } }
    }

    var admitted: [Int] { permits.withLock { $0.admitted } }
    var finished: [Int?] { permits.withLock { $0.finished } }
}
