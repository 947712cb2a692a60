using Merx.Core.Contracts;

namespace Merx.Ranking.Retrieval;

/// <summary>
/// Top-k maximum-inner-product search over a model's item vectors, in the model's item index space:
/// what <see cref="Scoring.CatalogScorer"/> asks when a full exact pass per request would not fit the
/// latency budget. Scores returned are the exact float inner products (every implementation re-ranks
/// its candidates with the float vectors), so only recall, never the order of what is found, differs
/// from the exact scan.
/// </summary>
public interface IItemIndex
{
    /// <summary>A short name for reports ("ivf", "int8-scan", "hnsw-i8").</summary>
    string Name { get; }

    /// <summary>Items the index holds.</summary>
    int Count { get; }

    /// <summary>Bytes the index itself holds per item (its own copy of the vectors and its links; not the model's float vectors).</summary>
    double BytesPerItem { get; }

    /// <summary>The best <paramref name="k"/> admissible items by inner product with <paramref name="query"/> (d), best first.</summary>
    ScoredItem[] Search(ReadOnlySpan<float> query, int k, Func<int, bool>? admissible = null);
}
