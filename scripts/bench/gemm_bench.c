// dnnl_sgemm vs OpenBLAS cblas_sgemm on the MiniLM-L6 encoder's GEMM shapes.
//   cc -O2 -o /tmp/gemm_bench scripts/bench/gemm_bench.c -ldnnl -lopenblas
//   OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 /tmp/gemm_bench   # both cores
//   OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /tmp/gemm_bench   # one core, as each
//                                                              # LocalEmbedder thread runs
// Shapes are (M tokens) x (N out) x (K in), A row-major MxK, B = weight NxK used
// transposed (PyTorch Linear layout), C row-major MxN. Best of 5 runs of >= 0.2 s each,
// same operands every call (the weights stay in cache, unlike in the encoder).
#include <cblas.h>
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *randm(long n) {
    float *p = aligned_alloc(64, ((n * sizeof(float)) + 63) / 64 * 64);
    for (long i = 0; i < n; i++) p[i] = (float)rand() / RAND_MAX - 0.5f;
    return p;
}

typedef void (*gemm_fn)(long M, long N, long K, const float *A, const float *B, float *C);

static void run_dnnl(long M, long N, long K, const float *A, const float *B, float *C) {
    if (dnnl_sgemm('N', 'T', M, N, K, 1.0f, A, K, B, K, 0.0f, C, N) != dnnl_success) abort();
}

static void run_blas(long M, long N, long K, const float *A, const float *B, float *C) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, A, K, B, K, 0.0f, C, N);
}

static double gflops(gemm_fn f, long M, long N, long K) {
    float *A = randm(M * K), *B = randm(N * K), *C = randm(M * N);
    for (int i = 0; i < 5; i++) f(M, N, K, A, B, C);
    double flop = 2.0 * M * N * K, best = 0;
    for (int rep = 0; rep < 5; rep++) {
        int iters = 0;
        double t0 = now(), t;
        do { f(M, N, K, A, B, C); iters++; } while ((t = now() - t0) < 0.2);
        double g = flop * iters / t / 1e9;
        if (g > best) best = g;
    }
    free(A); free(B); free(C);
    return best;
}

int main(void) {
    const long shapes[][3] = {
        // M = tokens in one pass: 1 sentence (~20 tokens), 32 sentences (~640), 16 of them
        // (one LocalEmbedder thread's half of a 32-text call), a large batch.
        {20, 1152, 384}, {20, 384, 384}, {20, 1536, 384}, {20, 384, 1536},
        {640, 1152, 384}, {640, 384, 384}, {640, 1536, 384}, {640, 384, 1536},
        {320, 1152, 384}, {320, 384, 384}, {320, 1536, 384}, {320, 384, 1536},
        {4096, 1152, 384}, {4096, 384, 384}, {4096, 1536, 384}, {4096, 384, 1536},
    };
    printf("%-22s %12s %12s\n", "M x N x K", "dnnl GF/s", "openblas GF/s");
    double wd[4] = {0}, wb[4] = {0}, wf[4] = {0};
    for (unsigned i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        long M = shapes[i][0], N = shapes[i][1], K = shapes[i][2];
        double d = gflops(run_dnnl, M, N, K), b = gflops(run_blas, M, N, K);
        printf("%5ld x %5ld x %5ld   %12.1f %12.1f\n", M, N, K, d, b);
        // Per-M FLOP-weighted mean over one encoder layer's four GEMMs (time-weighted harmonic mean).
        double flop = 2.0 * M * N * K;
        wf[i / 4] += flop; wd[i / 4] += flop / d; wb[i / 4] += flop / b;
    }
    for (int g = 0; g < 4; g++)
        printf("layer mix M=%-5ld      %12.1f %12.1f\n", shapes[g * 4][0], wf[g] / wd[g], wf[g] / wb[g]);
    return 0;
}
