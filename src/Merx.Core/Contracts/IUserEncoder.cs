namespace Merx.Core.Contracts;

/// <summary>
/// A model whose scores are dot products of a user vector with item vectors (the Transformer,
/// ALS, BPR). Exposes both, so the explore/exploit policies can keep a Bayesian linear head over
/// the user vector (NeuralLinear, LinUCB, linear Thompson sampling) and the ranking pipeline can
/// score candidates without a full catalog pass. Score(user, history) equals
/// ItemVectors · EncodeUser(user, history) for every item.
/// </summary>
public interface IUserEncoder
{
    /// <summary>Length of a user (and item) vector.</summary>
    int Dimension { get; }

    /// <summary>Writes the user's vector (length <see cref="Dimension"/>) from their history, oldest first; zeros for an empty history.</summary>
    void EncodeUser(int user, ReadOnlySpan<int> history, Span<float> vector);

    /// <summary>(ItemCount, Dimension) item vectors: float rows, or int8 rows with a scale each for an int8 inference copy.</summary>
    Merx.Numerics.VectorTable ItemVectors { get; }
}
