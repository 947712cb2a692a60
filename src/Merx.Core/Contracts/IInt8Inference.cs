namespace Merx.Core.Contracts;

/// <summary>
/// A model that can answer from int8 weights (issue #21): <see cref="ToInt8"/> gives a read-only copy
/// for inference whose big matrices are int8 with one float scale per row, made from the same fitted
/// parameters, so its accuracy cost is measured against the float model on one fit.
/// </summary>
public interface IInt8Inference
{
    /// <summary>The int8 inference copy (it cannot be fitted or saved; quantize the float model again after loading it).</summary>
    IRecommender ToInt8();

    /// <summary>Bytes of the inference weights: every float32 tensor at 4 bytes an entry, or, with <paramref name="int8"/>, the int8 copy's (int8 matrices with their scales, the small tensors still float).</summary>
    long WeightBytes(bool int8);
}
