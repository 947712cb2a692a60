using System.Globalization;
using System.Text;
using System.Text.Json;
using Merx.Evaluation.Metrics;

namespace Merx.Evaluation.Harness;

/// <summary>
/// A finished tuning run: every trial (validation NDCG@10 only) and the selected configuration's
/// test figures, measured once after selection. Prints as a table and writes as JSON.
/// </summary>
public sealed record TuneReport(string Dataset, string Protocol, string Model, TunerMethod Method, int Seed, TunerResult Result, ModelRunResult Test)
{
    /// <summary>Trials in order (trial, parameters, validation NDCG@10 and cases, fit seconds), the best configuration, and its test metrics.</summary>
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Dataset} ({Protocol}): tuning {Model} by {Method.ToString().ToLowerInvariant()} search, {Result.Trials.Count} trials, seed {Seed}");
        sb.AppendLine($"{"trial",5}  {"validation NDCG@10",18} {"cases",7} {"fit s",8}  params");
        foreach (var t in Result.Trials)
        {
            var mark = ReferenceEquals(t.Parameters, Result.Best) ? " *" : "";
            sb.AppendLine($"{t.Trial,5}  {t.ValidationNdcg,18:F4} {t.ValidationCases,7} {t.FitSeconds,8:F1}  {Tuner.Describe(t.Parameters)}{mark}");
        }
        sb.AppendLine($"best: {Tuner.Describe(Result.Best)} (validation NDCG@10 {Result.BestNdcg:F4})");
        if (Test.Result is { } r)
        {
            sb.Append("test:");
            foreach (var m in EvaluationRun.Headline)
                if (r.Metrics.TryGetValue(m, out var v))
                    sb.Append(r.Intervals.TryGetValue(m, out var ci) ? $" {m} {v:F4} [{ci.Lo:F4},{ci.Hi:F4}]" : $" {m} {v:F4}");
            sb.AppendLine($" ({r.Cases} test cases)");
        }
        return sb.ToString();
    }

    /// <summary>
    /// Writes {"dataset", "protocol", "model", "method", "seed", "trials": [{"trial", "params",
    /// "validation_ndcg@10", "validation_cases", "rung", "fit_seconds"}], "best": {"params",
    /// "validation_ndcg@10", "test": the per-model object of <see cref="EvaluationRun.WriteJson(string)"/>}}.
    /// </summary>
    public void WriteJson(string path)
    {
        Reports.JsonFile.Write(path, w =>
        {
            w.WriteStartObject();
            w.WriteString("dataset", Dataset);
            w.WriteString("protocol", Protocol);
            w.WriteString("model", Model);
            w.WriteString("method", Method.ToString().ToLowerInvariant());
            w.WriteNumber("seed", Seed);
            w.WriteStartArray("trials");
            foreach (var t in Result.Trials)
            {
                w.WriteStartObject();
                w.WriteNumber("trial", t.Trial);
                Params(w, t.Parameters);
                w.WriteNumber("validation_ndcg@10", Math.Round(t.ValidationNdcg, 6));
                w.WriteNumber("validation_cases", t.ValidationCases);
                w.WriteNumber("rung", t.Rung);
                w.WriteNumber("fit_seconds", Math.Round(t.FitSeconds, 3));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("best");
            Params(w, Result.Best);
            w.WriteNumber("validation_ndcg@10", Math.Round(Result.BestNdcg, 6));
            w.WritePropertyName("test");
            EvaluationRun.WriteModel(w, Test);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private static void Params(Utf8JsonWriter w, IReadOnlyDictionary<string, double> p)
    {
        w.WriteStartObject("params");
        foreach (var (k, v) in p) w.WriteNumber(k, double.Parse(v.ToString("G6", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        w.WriteEndObject();
    }
}
