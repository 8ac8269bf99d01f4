public import Foundation

/// Runs blocking work (waiting for a child process, reading its pipe) on a thread of its
/// own, never on Swift's cooperative pool.
///
/// The pool has one thread per core, two on the CI machine. Two tests that blocked there
/// while their Python clients waited for events from the in-process workers froze every
/// test in the process until the clients gave up (ChangingMemoryTests, 120 s stalls).
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

extension Process {
    /// Waits for the process to exit, off the cooperative pool; its exit status.
    public func exitStatus() async -> Int32 {
        await offThePool { self.waitUntilExit(); return self.terminationStatus }
    }
}
