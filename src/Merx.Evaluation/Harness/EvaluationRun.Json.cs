using System.Text.Json;

namespace Merx.Evaluation.Harness;

public sealed partial class EvaluationRun
{
    /// <summary>
    /// Writes {"dataset", "protocol", "users", "items", "models": [{"name", headline metrics,
    /// "train_seconds", "epochs", "seed", "params", then "&lt;metric&gt;_ci": [lo, hi] for every metric and
    /// every other metric}]}. Missing metrics are null; non-finite values are written as null.
    /// Under cross-validation the metrics are means over folds, "_ci" the 95% t-interval of that
    /// mean, and "folds": K (top level and per model) and "&lt;metric&gt;_sd" are added. A privately
    /// trained model's entry adds "epsilon" and "delta" (as spent), "target_epsilon", "dp_accountant" (pld | rdp),
    /// "epsilon_pld" and "epsilon_rdp" (both accountants' ε for the run; epsilon_pld null where its grid would be too large) and the DP-SGD settings.
    /// With single-target cases, "by_target_popularity" gives NDCG/HR@10 on tail, torso and head targets.
    /// Bias: "head_share@K" is the share of the top-K lists from the top 10 % of items by training users,
    /// "head_train_share" those items' share of training interactions (the same for every model), and
    /// "miscalibration@K" the mean KL between history and list category shares (Steck 2018); a line
    /// named "NAME+cal" is the same fit re-ranked for calibration ("calibration_lambda" in its params).
    /// </summary>
    public void WriteJson(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        using var fs = File.Create(path);
        WriteJson(fs);
    }

    public void WriteJson(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("dataset", Dataset);
        w.WriteString("protocol", Protocol);
        w.WriteNumber("users", Users);
        w.WriteNumber("items", Items);
        if (Folds is { } k) w.WriteNumber("folds", k);
        w.WriteStartArray("models");
        foreach (var r in Models) WriteModel(w, r);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    internal static void WriteModel(Utf8JsonWriter w, ModelRunResult r)
    {
        w.WriteStartObject();
        w.WriteString("name", r.Name);
        var metrics = r.Result?.Metrics ?? new Dictionary<string, double>();
        foreach (var m in Headline) Number(w, m, metrics.TryGetValue(m, out var v) ? v : double.NaN);
        Number(w, "train_seconds", Math.Round(r.TrainSeconds, 3));
        if (r.Epochs is { } e) w.WriteNumber("epochs", e); else w.WriteNull("epochs");
        w.WriteNumber("seed", r.Seed);
        w.WriteStartObject("params");
        foreach (var (k, v) in r.Params.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
        w.WriteEndObject();
        if (r.Error is not null) w.WriteString("error", r.Error);
        if (r.Privacy is { } dp)
        {
            // User-level DP-SGD: the (ε, δ) spent and the mechanism's settings.
            w.WriteNumber("epsilon", Math.Round(dp.Epsilon, 6));
            w.WriteNumber("delta", dp.Delta);
            w.WriteNumber("target_epsilon", dp.TargetEpsilon);
            // Which accountant gave "epsilon" (and planned σ), and both accountants' ε for the same run.
            w.WriteString("dp_accountant", dp.Accountant == Merx.Core.Contracts.DpAccountant.Pld ? "pld" : "rdp");
            if (dp.EpsilonPld is { } ep) Number(w, "epsilon_pld", ep); else w.WriteNull("epsilon_pld");
            if (dp.EpsilonRdp is { } er) Number(w, "epsilon_rdp", er);
            Number(w, "dp_noise_multiplier", dp.NoiseMultiplier);
            Number(w, "dp_sampling_rate", dp.SamplingRate);
            Number(w, "dp_clip_norm", dp.ClipNorm);
            w.WriteNumber("dp_steps", dp.Steps);
            w.WriteNumber("dp_planned_steps", dp.PlannedSteps);
            if (dp.VocabularyNoiseMultiplier is { } vs) Number(w, "dp_vocabulary_noise_multiplier", vs);
            if (dp.VocabularySize is { } vn) w.WriteNumber("dp_vocabulary_items", vn);
        }
        if (r.Result is { } res)
        {
            foreach (var (name, ci) in res.Intervals.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                w.WriteStartArray(name + "_ci");
                Value(w, ci.Lo); Value(w, ci.Hi);
                w.WriteEndArray();
            }
            foreach (var (name, v) in res.Metrics.OrderBy(p => p.Key, StringComparer.Ordinal))
                if (!Headline.Contains(name)) Number(w, name, v);
            if (r.Folds is { } k) w.WriteNumber("folds", k);
            if (r.Sd is not null)
                foreach (var (name, v) in r.Sd.OrderBy(p => p.Key, StringComparer.Ordinal)) Number(w, name + "_sd", v);
            if (res.ByTargetPopularity is { } buckets)
            {
                w.WriteStartArray("by_target_popularity");
                foreach (var b in buckets)
                {
                    w.WriteStartObject();
                    w.WriteString("bucket", b.Name);
                    w.WriteNumber("min_training_users", b.MinUsers);
                    w.WriteNumber("max_training_users", b.MaxUsers);
                    w.WriteNumber("cases", b.Cases);
                    Number(w, $"ndcg@{b.K}", b.Ndcg);
                    Number(w, $"hr@{b.K}", b.Hit);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteString("ranking", res.Ranking);
            w.WriteNumber("eval_cases", res.Cases);
            Number(w, "eval_seconds", Math.Round(res.Seconds, 3));
            Number(w, "eval_users_per_second", Math.Round(res.UsersPerSecond, 1));
        }
        w.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter w, string name, double v)
    {
        w.WritePropertyName(name);
        Value(w, v);
    }

    private static void Value(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(Math.Round(v, 6)); else w.WriteNullValue();
    }
}
