import CDNNL
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// oneDNN's single-precision GEMM: every matrix product of the encoder.
enum GEMM {
    /// `C = A · Bᵀ + beta · C`, row-major: A is m×k (rows `lda` apart), B is n×k (a
    /// PyTorch `Linear` weight, rows `ldb` apart), C is m×n (rows `ldc` apart).
    @inline(__always)
    static func multiplyTransposed(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, lda: Int,
        _ b: UnsafePointer<Float>, ldb: Int,
        beta: Float,
        _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) throws(BertEncoder.Error) {
        let status = dnnl_sgemm(
            CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "T")),
            dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k),
            1, a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb), beta, c, dnnl_dim_t(ldc)
        )
        guard status == dnnl_success else {
            throw BertEncoder.Error(.computeFailed, "dnnl_sgemm(\(m)×\(n)×\(k)) failed with status \(status.rawValue)")
        }
    }

    /// `C = A · B`, row-major: A is m×k, B is k×n, C is m×n.
    @inline(__always)
    static func multiply(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Float>, lda: Int,
        _ b: UnsafePointer<Float>, ldb: Int,
        _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) throws(BertEncoder.Error) {
        let status = dnnl_sgemm(
            CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")),
            dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k),
            1, a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb), 0, c, dnnl_dim_t(ldc)
        )
        guard status == dnnl_success else {
            throw BertEncoder.Error(.computeFailed, "dnnl_sgemm(\(m)×\(n)×\(k)) failed with status \(status.rawValue)")
        }
    }
}

/// The thread count of oneDNN's CPU runtime. This libdnnl (2.6, OpenMP runtime) has no
/// `dnnl_set_max_threads`; it sizes its parallel regions by `omp_get_max_threads()`,
/// which is per calling thread. So `setThreadCount` is called on the encoder's own
/// compute thread and affects only the GEMMs that thread issues. The OpenMP entry
/// points are looked up at run time (they come with libdnnl's libgomp); without them
/// oneDNN keeps its default (`OMP_NUM_THREADS`, else one thread per core).
enum ComputeThreads {
    private typealias SetThreads = @convention(c) (Int32) -> Void
    private typealias GetThreads = @convention(c) () -> Int32

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        guard let handle = dlopen(nil, RTLD_NOW) else { return nil }
        return dlsym(handle, name)
    }

    /// Sets the calling thread's OpenMP team size; returns false when the runtime
    /// offers no way to do so.
    @discardableResult
    static func setThreadCount(_ count: Int) -> Bool {
        guard count > 0, let pointer = symbol("omp_set_num_threads") else { return false }
        unsafeBitCast(pointer, to: SetThreads.self)(Int32(count))
        return true
    }

    /// The calling thread's OpenMP team size, or nil without an OpenMP runtime.
    static func threadCount() -> Int? {
        guard let pointer = symbol("omp_get_max_threads") else { return nil }
        return Int(unsafeBitCast(pointer, to: GetThreads.self)())
    }

    /// Cores this process may run on (affinity and cgroup limits included).
    static var availableCores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
}
