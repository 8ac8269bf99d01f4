import CDNNL

/// A `Linear` layer's weight in bfloat16, in the layout oneDNN's matmul prefers, for the
/// encoder's `bf16` precision: `C = A · Wᵀ (+ C)` with A converted to bf16 per call and
/// C accumulated in f32. On CPUs with AVX512-BF16 these products run about twice as fast
/// as SGEMM (420 vs 208 GFLOP/s at 600×1152×384 on 2 cores, measured with oneDNN 2.6).
///
/// The weights are converted once, at load, and only read after; the primitive is made
/// per thread (``Primitives``), since a oneDNN primitive must run on the thread it was
/// made on unless the library was built for concurrent execution.
final class BFloat16Linear: @unchecked Sendable {
    /// Output features (the weight's rows) and input features (its columns).
    let outputs: Int, inputs: Int
    /// Adds the product to what C holds (a residual) instead of overwriting it.
    let accumulates: Bool
    /// The primitive's description, M (the token count) left to run time.
    private let descriptor: dnnl_primitive_desc_t
    private let weights: dnnl_memory_t
    private let weightStorage: UnsafeMutableRawPointer

    /// Whether oneDNN runs bf16 products natively here: its ISA levels are bit sets, and
    /// every level from AVX512-BF16 up (AMX included) contains that one's bits.
    static var isAccelerated: Bool {
        let required = dnnl_cpu_isa_avx512_core_bf16.rawValue
        return dnnl_get_effective_cpu_isa().rawValue & required == required
    }

    /// Converts `weight` (`outputs × inputs`, row-major f32, a PyTorch `Linear` weight).
    init(_ weight: UnsafePointer<Float>, outputs: Int, inputs: Int, accumulates: Bool) throws(BertEncoder.Error) {
        self.outputs = outputs
        self.inputs = inputs
        self.accumulates = accumulates
        // Without AVX512-BF16 oneDNN emulates bf16 at a third of SGEMM's speed (AVX-512) or
        // has no bf16 matmul at all (AVX2): fail at start, not in latency.
        guard Self.isAccelerated else {
            throw BertEncoder.Error(
                .invalidConfiguration,
                "precision bf16 needs a CPU with AVX512-BF16 (oneDNN's ISA here: 0x\(String(dnnl_get_effective_cpu_isa().rawValue, radix: 16)))")
        }
        let engine = try Engine.shared()

        var source = try Self.descriptor(rows: Self.runtimeRows, columns: inputs, type: dnnl_bf16)
        var destination = try Self.descriptor(rows: Self.runtimeRows, columns: outputs, type: dnnl_f32)
        var anyLayout = dnnl_memory_desc_t()
        let dims = [Int64(inputs), Int64(outputs)]
        try check(dnnl_memory_desc_init_by_tag(&anyLayout, 2, dims, dnnl_bf16, dnnl_format_tag_any), "weight descriptor")
        var operation = dnnl_matmul_desc_t()
        try check(dnnl_matmul_desc_init(&operation, &source, &anyLayout, nil, &destination), "matmul descriptor")

        var attributes: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attributes), "attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        if accumulates {
            var postOps: dnnl_post_ops_t?
            try check(dnnl_post_ops_create(&postOps), "post-ops")
            defer { dnnl_post_ops_destroy(postOps) }
            try check(dnnl_post_ops_append_sum(postOps, 1), "sum post-op")
            try check(dnnl_primitive_attr_set_post_ops(attributes, postOps), "post-ops")
        }
        var descriptor: dnnl_primitive_desc_t?
        try check(dnnl_primitive_desc_create(&descriptor, &operation, attributes, engine, nil), "bf16 matmul \(outputs)×\(inputs)")
        guard let descriptor else { throw BertEncoder.Error(.computeFailed, "oneDNN returned no bf16 matmul") }
        self.descriptor = descriptor

        // Convert to bf16 in the PyTorch layout (K × N with strides 1, K), then reorder into
        // the layout the matmul chose.
        guard let packed = dnnl_primitive_desc_query_md(descriptor, dnnl_query_weights_md, 0) else {
            dnnl_primitive_desc_destroy(descriptor)
            throw BertEncoder.Error(.computeFailed, "oneDNN reported no weight layout")
        }
        let plainBits = UnsafeMutablePointer<UInt16>.allocate(capacity: outputs * inputs)
        defer { plainBits.deallocate() }
        Kernels.bfloat16(weight, into: plainBits, count: outputs * inputs)
        var plain = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_strides(&plain, 2, dims, dnnl_bf16, [1, Int64(inputs)]), "plain weight descriptor")
        weightStorage = UnsafeMutableRawPointer.allocate(byteCount: dnnl_memory_desc_get_size(packed), alignment: 64)
        var weights: dnnl_memory_t?
        var plainMemory: dnnl_memory_t?
        do {
            try check(dnnl_memory_create(&weights, packed, engine, weightStorage), "weight memory")
            try check(dnnl_memory_create(&plainMemory, &plain, engine, plainBits), "weight memory")
            defer { dnnl_memory_destroy(plainMemory) }
            try Self.reorder(from: plainMemory!, &plain, to: weights!, packed, engine: engine)
        } catch {
            dnnl_memory_destroy(weights)
            weightStorage.deallocate()
            dnnl_primitive_desc_destroy(descriptor)
            throw error
        }
        self.weights = weights!
    }

    deinit {
        dnnl_memory_destroy(weights)
        weightStorage.deallocate()
        dnnl_primitive_desc_destroy(descriptor)
    }

    /// `C (+)= A · Wᵀ` for `rows` rows of A (bf16, rows `lda` apart) into C (f32, rows
    /// `ldc` apart), with the calling thread's primitive and stream.
    func apply(
        rows: Int, _ a: UnsafePointer<UInt16>, lda: Int,
        _ c: UnsafeMutablePointer<Float>, ldc: Int, primitives: Primitives
    ) throws(BertEncoder.Error) {
        let engine = try Engine.shared()
        let primitive = try primitives.primitive(for: self)
        var sourceDescriptor = try Self.descriptor(rows: Int64(rows), columns: inputs, stride: lda, type: dnnl_bf16)
        var destinationDescriptor = try Self.descriptor(rows: Int64(rows), columns: outputs, stride: ldc, type: dnnl_f32)
        var source: dnnl_memory_t?
        var destination: dnnl_memory_t?
        defer {
            dnnl_memory_destroy(source)
            dnnl_memory_destroy(destination)
        }
        try check(dnnl_memory_create(&source, &sourceDescriptor, engine, UnsafeMutableRawPointer(mutating: a)), "source memory")
        try check(dnnl_memory_create(&destination, &destinationDescriptor, engine, c), "destination memory")
        var arguments = [
            dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: source),
            dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weights),
            dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: destination),
        ]
        try check(dnnl_primitive_execute(primitive, primitives.stream, Int32(arguments.count), &arguments), "bf16 matmul \(rows)×\(outputs)×\(inputs)")
        try check(dnnl_stream_wait(primitives.stream), "stream wait")
    }

    fileprivate func makePrimitive() throws(BertEncoder.Error) -> dnnl_primitive_t {
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, descriptor), "bf16 matmul primitive")
        return primitive!
    }

    // MARK: oneDNN plumbing

    /// One thread's matmul primitives (one per layer shape) and its stream.
    final class Primitives {
        let stream: dnnl_stream_t
        private var made: [Key: dnnl_primitive_t] = [:]

        private struct Key: Hashable {
            var outputs: Int, inputs: Int, accumulates: Bool
        }

        init() throws(BertEncoder.Error) {
            var stream: dnnl_stream_t?
            try check(dnnl_stream_create(&stream, try Engine.shared(), dnnl_stream_default_flags.rawValue), "stream")
            self.stream = stream!
        }

        /// Layers of one shape share a primitive: the weights are an argument.
        func primitive(for layer: BFloat16Linear) throws(BertEncoder.Error) -> dnnl_primitive_t {
            let key = Key(outputs: layer.outputs, inputs: layer.inputs, accumulates: layer.accumulates)
            if let primitive = made[key] { return primitive }
            let primitive = try layer.makePrimitive()
            made[key] = primitive
            return primitive
        }

        deinit {
            for primitive in made.values { dnnl_primitive_destroy(primitive) }
            dnnl_stream_destroy(stream)
        }
    }

    /// The process's CPU engine, made on first use.
    private enum Engine {
        private static let result = Result { () throws(BertEncoder.Error) -> SendableEngine in
            var engine: dnnl_engine_t?
            try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "CPU engine")
            return SendableEngine(engine: engine!)
        }

        static func shared() throws(BertEncoder.Error) -> dnnl_engine_t { try result.get().engine }
    }

    /// A oneDNN engine is immutable after creation and documented as thread-safe.
    private struct SendableEngine: @unchecked Sendable { var engine: dnnl_engine_t }

    /// oneDNN's `DNNL_RUNTIME_DIM_VAL`: the token count is given per call.
    private static let runtimeRows = Int64.min

    /// A row-major `rows × columns` matrix, rows `stride` apart (default: dense).
    private static func descriptor(rows: Int64, columns: Int, stride: Int? = nil, type: dnnl_data_type_t) throws(BertEncoder.Error) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_strides(&descriptor, 2, [rows, Int64(columns)], type, [Int64(stride ?? columns), 1]), "matrix descriptor")
        return descriptor
    }

    private static func reorder(
        from source: dnnl_memory_t, _ sourceDescriptor: UnsafePointer<dnnl_memory_desc_t>,
        to destination: dnnl_memory_t, _ destinationDescriptor: UnsafePointer<dnnl_memory_desc_t>,
        engine: dnnl_engine_t
    ) throws(BertEncoder.Error) {
        var descriptor: dnnl_primitive_desc_t?
        try check(dnnl_reorder_primitive_desc_create(&descriptor, sourceDescriptor, engine, destinationDescriptor, engine, nil), "weight reorder")
        defer { dnnl_primitive_desc_destroy(descriptor) }
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, descriptor), "weight reorder")
        defer { dnnl_primitive_destroy(primitive) }
        var stream: dnnl_stream_t?
        try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        defer { dnnl_stream_destroy(stream) }
        var arguments = [
            dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: source),
            dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: destination),
        ]
        try check(dnnl_primitive_execute(primitive, stream, Int32(arguments.count), &arguments), "weight reorder")
        try check(dnnl_stream_wait(stream), "weight reorder")
    }
}

private func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws(BertEncoder.Error) {
    guard status == dnnl_success else {
        throw BertEncoder.Error(.computeFailed, "oneDNN \(what()) failed with status \(status.rawValue)")
    }
}
