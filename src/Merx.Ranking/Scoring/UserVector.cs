namespace Merx.Ranking.Scoring;

/// <summary>
/// A user's vector from the large model, typed by the scorer that made it: item scores are
/// <see cref="Values"/> · item vector of that scorer only, so a stage that receives one (the bandit
/// stage, from the model source) reuses it only when it scores with the same <see cref="Scorer"/>.
/// </summary>
/// <param name="Values">(d) the vector, d = <see cref="CatalogScorer.Dimension"/>.</param>
public readonly record struct UserVector(CatalogScorer Scorer, float[] Values)
{
    /// <summary>Whether this vector was made by <paramref name="scorer"/> (and so lives in its item-vector space).</summary>
    public bool From(CatalogScorer? scorer) => ReferenceEquals(Scorer, scorer);
}
