using Merx.Core.Contracts;
using Merx.Evaluation.Metrics;

namespace Merx.Evaluation.Harness;

/// <summary>
/// One model's line in an <see cref="EvaluationRun"/>: test metrics with intervals, training cost and
/// settings. Under cross-validation the metrics are means over folds and <see cref="Sd"/> holds each
/// metric's standard deviation across the <see cref="Folds"/> folds.
/// </summary>
public sealed record ModelRunResult(
    string Name,
    EvaluationResult? Result,
    double TrainSeconds,
    int? Epochs,
    int Seed,
    IReadOnlyDictionary<string, string> Params,
    string? Error = null,
    IReadOnlyDictionary<string, double>? Sd = null,
    int? Folds = null,
    PrivacySpent? Privacy = null);

/// <summary>
/// Every model measured on one split of one data set, ready to print (<see cref="ToTable"/>),
/// write as JSON (<see cref="WriteJson"/>, the schema bench/results use) or as an HTML report
/// with SVG charts (<see cref="WriteHtml"/>).
/// </summary>
public sealed partial class EvaluationRun(string dataset, string protocol, int users, int items)
{
    public string Dataset { get; } = dataset;
    public string Protocol { get; } = protocol;
    public int Users { get; } = users;
    public int Items { get; } = items;
    public List<ModelRunResult> Models { get; } = [];
    /// <summary>Number of cross-validation folds the figures average over; null for a single split.</summary>
    public int? Folds { get; init; }

    /// <summary>The metrics every report leads with, in order.</summary>
    public static IReadOnlyList<string> Headline { get; } = ["ndcg@10", "hr@10", "ndcg@20", "mrr", "coverage@10", "diversity@10", "novelty@10", "head_share@10", "miscalibration@10"];

    /// <summary>
    /// "popularity bias: the top 10 % of items hold 61.2 % of training interactions; share of top-10
    /// lists from them: pop 100.0 %, ease 71.3 %"; null when popularity was not measured.
    /// </summary>
    public string? BiasLine()
    {
        var measured = Models.Where(r => r.Result?.Metrics.ContainsKey("head_share@10") == true).ToList();
        if (measured.Count == 0) return null;
        var train = measured[0].Result!.Metrics.GetValueOrDefault("head_train_share", double.NaN);
        return $"popularity bias: the top {Metrics.ListMetrics.HeadFraction:P0} of items (by training users) hold {train:P1} of training interactions; "
            + "share of top-10 lists from them: " + string.Join(", ", measured.Select(r => $"{r.Name} {r.Result!.Metrics["head_share@10"]:P1}"));
    }

    /// <summary>A fixed-width text table: one row per model, headline metrics with 95% intervals, train seconds; then each model's accuracy on tail, torso and head targets.</summary>
    public string ToTable()
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{Dataset} ({Protocol}; {Users} users, {Items} items){(Folds is { } k ? $": mean ± sd over {k} folds" : "")}");
        sb.Append($"{"model",-12}");
        foreach (var m in Headline) sb.Append($" {m,22}");
        sb.AppendLine($" {"train s",9} {"epochs",6}");
        foreach (var r in Models)
        {
            sb.Append($"{r.Name,-12}");
            if (r.Result is null) { sb.AppendLine($" failed: {r.Error}"); continue; }
            foreach (var m in Headline)
            {
                var cell = !r.Result.Metrics.TryGetValue(m, out var v) ? "—"
                    : r.Sd is not null && r.Sd.TryGetValue(m, out var sd) ? $"{v:F4} ± {sd:F4}"
                    : r.Result.Intervals.TryGetValue(m, out var ci) ? $"{v:F4} [{ci.Lo:F4},{ci.Hi:F4}]" : $"{v:F4}";
                sb.Append($" {cell,22}");
            }
            sb.AppendLine($" {r.TrainSeconds,9:F1} {(r.Epochs?.ToString() ?? "—"),6}");
        }
        foreach (var r in Models)
            if (r.Result?.ByTargetPopularity is { Count: > 0 } buckets)
                sb.AppendLine($"{r.Name} by the test item's popularity: {Metrics.TargetPopularity.Describe(buckets)}");
        if (BiasLine() is { } bias) sb.AppendLine(bias);
        return sb.ToString();
    }

    /// <summary>A Markdown table of the headline metrics (for bench/results/*.md).</summary>
    public string ToMarkdown()
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine("| model | " + string.Join(" | ", Headline) + " | train s | epochs | eval users/s |");
        sb.AppendLine("|---" + string.Concat(Enumerable.Repeat("|---:", Headline.Count + 3)) + "|");
        foreach (var r in Models)
        {
            if (r.Result is null) { sb.AppendLine($"| {r.Name} | failed: {r.Error} |"); continue; }
            var cells = Headline.Select(m => !r.Result.Metrics.TryGetValue(m, out var v) ? "—"
                : r.Sd is not null && r.Sd.TryGetValue(m, out var sd) ? $"{v:F4} ± {sd:F4}"
                : r.Result.Intervals.TryGetValue(m, out var ci) ? $"{v:F4} ({ci.Lo:F4}–{ci.Hi:F4})" : $"{v:F4}");
            sb.AppendLine($"| {r.Name} | {string.Join(" | ", cells)} | {r.TrainSeconds:F1} | {r.Epochs?.ToString() ?? "—"} | {r.Result.UsersPerSecond:F0} |");
        }
        return sb.ToString();
    }
}
