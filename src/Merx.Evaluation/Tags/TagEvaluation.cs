using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Models.Tags;

namespace Merx.Evaluation.Tags;

/// <summary>Precision, recall and F1 of the top-3 suggestions, means over the hidden items (F1 from the mean precision and recall).</summary>
public sealed record TagScores(double Precision, double Recall)
{
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
}

/// <summary>What `merx suggest-tags` reports.</summary>
public sealed record TagEvaluationResult(int Items, int Hidden, int K, TagScores Combined, TagScores TextOnly, TagScores BehaviourOnly, TagScores Baseline, string[] BaselineTags, bool HasText, float TextWeight);

/// <summary>
/// Hides the tags (tags and category path) of a seeded fraction of the items that have any, and
/// predicts them with <see cref="TagSuggester"/> from the items' text (title, description, brand,
/// attributes: the label-free text of every item) and from behaviour; the baseline suggests the
/// most frequent visible tags to every item.
/// </summary>
public static class TagEvaluation
{
    public static TagEvaluationResult Run(Dataset dataset, Func<IReadOnlyList<Item?>, PretrainedVectors?> encode, double hide, int seed, int k = 3, float textWeight = 0.5f, IProgress<string>? progress = null)
    {
        if (hide is <= 0 or >= 1) throw new ArgumentException("--hide must be a fraction in (0, 1)");
        var labels = dataset.Catalog.Select(TagSuggester.LabelsOf).ToArray();
        var candidates = Enumerable.Range(0, labels.Length).Where(i => labels[i].Count > 0).ToArray();
        if (candidates.Length < 2) throw new ArgumentException("the data set has fewer than two items with tags or categories: nothing to hide and predict");
        var rng = new Random(seed);
        rng.Shuffle(candidates);
        var hidden = candidates.Take(Math.Max(1, (int)Math.Round(hide * candidates.Length))).Order().ToArray();
        var visible = (IReadOnlyList<string>[])labels.Clone();
        foreach (var i in hidden) visible[i] = [];
        progress?.Report($"suggest-tags: {candidates.Length:N0} items with tags, hiding {hidden.Length:N0}");
        var text = encode(dataset.Catalog.Select(i => i is null ? null : TagSuggester.WithoutLabels(i)).ToArray());
        var suggester = new TagSuggester(visible, text, dataset.Sequences, textWeight: textWeight);
        var baseline = TagSuggester.MostFrequent(visible, k);
        TagScores Score(Func<int, IEnumerable<string>> suggest)
        {
            double p = 0, r = 0;
            foreach (var i in hidden)
            {
                var truth = labels[i].ToHashSet(StringComparer.Ordinal);
                var hits = suggest(i).Take(k).Count(truth.Contains);
                p += hits / (double)k; r += hits / (double)truth.Count;
            }
            return new TagScores(p / hidden.Length, r / hidden.Length);
        }
        return new TagEvaluationResult(labels.Length, hidden.Length, k,
            Score(i => suggester.Suggest(i, k).Select(s => s.Tag)),
            Score(i => suggester.Suggest(i, k, 1f).Select(s => s.Tag)),
            Score(i => suggester.Suggest(i, k, 0f).Select(s => s.Tag)),
            Score(_ => baseline), baseline, text is not null, textWeight);
    }
}
