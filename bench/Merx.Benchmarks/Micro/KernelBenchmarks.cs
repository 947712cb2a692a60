using BenchmarkDotNet.Attributes;
using Merx.Numerics;
using Merx.Numerics.Layers;

namespace Merx.Benchmarks.Micro;

/// <summary>
/// The dense kernels beside their plain reference twins (issue 22), on the shapes serving and training use:
/// GEMM (a 256-token batch through a d = 64 layer into 1,024 outputs, both layouts the Transformer runs),
/// one user vector against every item row (float and int8), one item's cosine with every item row (similar items), and causal attention over a batch of 16
/// sequences of 50 tokens (d = 64, 2 heads). One thread (<see cref="Gemm.MaxDegreeOfParallelism"/> = 1), so a
/// kernel is compared with its twin and not with the machine's core count. Inputs from a fixed seed.
/// </summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private const int M = 256, K = 64, N = 1024, Items = 12_101, D = 64, Sequences = 16, Tokens = 50, Heads = 2;
    private float[] _a = [], _b = [], _c = [], _rows = [], _x = [], _y = [], _qkv = [], _att = [], _probs = [];
    private sbyte[] _rows8 = [], _x8 = [];
    private int[] _y8 = [], _offsets = [];

    [GlobalSetup]
    public void Setup()
    {
        Gemm.MaxDegreeOfParallelism = 1;
        var rng = new SplitMix64(42);
        float[] Fill(int n) { var v = new float[n]; for (var i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1); return v; }
        _a = Fill(M * K); _b = Fill(K * N); _c = new float[M * N];
        _rows = Fill(Items * D); _x = Fill(D); _y = new float[Items];
        _rows8 = new sbyte[Items * D]; var scales = new float[Items];
        Int8Rows.Quantize(_rows, D, _rows8, scales);
        _x8 = new sbyte[D]; Int8Rows.QuantizeRow(_x, _x8); _y8 = new int[Items];
        _offsets = Enumerable.Range(0, Sequences + 1).Select(s => s * Tokens).ToArray();
        _qkv = Fill(Sequences * Tokens * 3 * D); _att = new float[Sequences * Tokens * D];
        _probs = new float[CausalSelfAttention.ProbabilityLength(_offsets, Heads)];
    }

    [Benchmark(Description = "GEMM A·B 256×64×1024")] public void GemmAB() => Gemm.AB(_a, _b, _c, M, K, N);
    [Benchmark(Description = "GEMM A·B reference")] public void GemmABReference() => Gemm.ReferenceAB(_a, _b, _c, M, K, N);
    [Benchmark(Description = "GEMM A·Bᵀ 256×64×1024")] public void GemmABt() => Gemm.ABt(_a, _b, _c, M, K, N);
    [Benchmark(Description = "GEMM A·Bᵀ reference")] public void GemmABtReference() => Gemm.ReferenceABt(_a, _b, _c, M, K, N);
    [Benchmark(Description = "row dots 12101×64 · x")] public void RowDotsFast() => RowDots.Forward(_rows, _x, _y);
    [Benchmark(Description = "row dots reference")] public void RowDotsReference() => RowDots.Reference(_rows, _x, _y);
    [Benchmark(Description = "row cosines 12101×64 · x")] public void RowCosinesFast() => RowDots.Cosines(_rows, _x, _y);
    [Benchmark(Description = "row cosines reference")] public void RowCosinesReference() => RowDots.ReferenceCosines(_rows, _x, _y);
    [Benchmark(Description = "int8 row dots 12101×64 · x")] public void Int8Dots() => Int8Rows.Dots(_rows8, _x8, _y8);
    [Benchmark(Description = "int8 row dots reference")] public void Int8DotsReference() => Int8Rows.Reference(_rows8, _x8, _y8);
    [Benchmark(Description = "attention forward 16×50, d 64, 2 heads")] public void Attention() => CausalSelfAttention.Forward(_qkv, _att, _probs, _offsets, D, Heads);
    [Benchmark(Description = "attention forward reference")] public void AttentionReference() => CausalSelfAttention.ReferenceForward(_qkv, _att, _offsets, D, Heads);
}
