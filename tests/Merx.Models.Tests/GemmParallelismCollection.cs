namespace Merx.Models.Tests;

/// <summary>
/// The test classes that set the process-wide <see cref="Merx.Numerics.Gemm.MaxDegreeOfParallelism"/> (to measure a
/// step's allocations on one thread, or to make a fit reproducible) run one at a time: run in parallel, one restored
/// the value while another was measuring, whose step then went through Parallel.For and allocated (a failed
/// "a step allocates nothing" under a loaded full run, 2026-12-06).
/// </summary>
[CollectionDefinition(Name)]
public sealed class GemmParallelismCollection
{
    public const string Name = "Gemm.MaxDegreeOfParallelism";
}
