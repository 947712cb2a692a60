namespace Merx.Ranking.Retrieval;

/// <summary>
/// (n, d) row-major float item vectors, read afresh at each call: how an index that stores compressed
/// vectors reaches the model's own float vectors for the exact re-rank without copying them
/// (a model exposes them as a span, which no object may keep).
/// </summary>
public delegate ReadOnlySpan<float> FloatRows();
